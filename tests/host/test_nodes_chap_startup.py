"""Node records, CHAP and startup with the real iscsiadm: what lands in open-iscsi's database, and what
isc never shows."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from hostenv import CHAP, NOAUTH

SECRET = "s3cretS3cret99"
MUTUAL = "mutualSecret42"


@pytest.fixture
def static(host):
    r = host.isc("nodes", "add", NOAUTH, "127.0.0.1")
    assert r.returncode == 0, r.stderr
    return host


def flat_record(host, target=NOAUTH):
    return (host.etc / "nodes" / target / "127.0.0.1,3260").read_text()


def test_nodes_add_is_idempotent(static):
    again = static.isc("nodes", "add", NOAUTH, "127.0.0.1:3260")
    assert again.returncode == 0 and "already exists" in again.stdout
    assert static.iscsiadm("-m", "node").stdout.count(NOAUTH) == 1


def test_nodes_lists_records_without_secrets(static):
    assert static.isc("chap", NOAUTH, "--user", "alice", "--password-stdin", input=SECRET + "\n").returncode == 0
    r = static.isc("--json", "nodes")
    (node,) = json.loads(r.stdout)["nodes"]
    assert node == {"target": NOAUTH, "portal": "127.0.0.1:3260", "tpgt": -1, "iface": "default",
                    "startup": "manual", "conn_startup": "manual", "auth": "one-way", "chap_user": "alice",
                    "chap_user_in": None, "discovery": "static", "replacement_timeout": 120}
    table = static.isc("nodes")
    assert SECRET not in r.stdout + r.stderr + table.stdout + table.stderr
    assert "alice" in table.stdout


def test_chap_from_stdin_lands_in_the_record_and_nowhere_else(static):
    r = static.isc("-v", "chap", NOAUTH, "--user", "alice", "--mutual-user", "tgt", "--password-stdin",
                   input=f"{SECRET}\n{MUTUAL}\n")
    assert r.returncode == 0, r.stderr
    rec = flat_record(static)
    assert "node.session.auth.authmethod = CHAP" in rec
    assert f"node.session.auth.password = {SECRET}" in rec
    assert "node.session.auth.username_in = tgt" in rec and f"node.session.auth.password_in = {MUTUAL}" in rec
    # -v shows the one iscsiadm command, with secrets masked
    commands = [ln for ln in r.stderr.splitlines() if ln.startswith("+ iscsiadm")]
    assert len(commands) == 1 and "********" in commands[0]
    for text in (r.stdout, r.stderr):
        assert SECRET not in text and MUTUAL not in text


def test_chap_from_file_and_env_and_dry_run(static, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(SECRET + "\n")
    pw.chmod(0o600)
    dry = static.isc("--dry-run", "chap", NOAUTH, "--user", "bob", "--password-file", str(pw))
    assert dry.returncode == 0
    assert "would run: iscsiadm" in dry.stderr and "********" in dry.stderr and SECRET not in dry.stderr
    assert "authmethod = CHAP" not in flat_record(static)  # dry run changed nothing
    env = static.isc("--json", "chap", NOAUTH, "--user", "bob", env={"ISC_CHAP_PASSWORD": SECRET})
    assert env.returncode == 0 and SECRET not in env.stdout
    assert f"node.session.auth.password = {SECRET}" in flat_record(static)


def test_chap_clear(static):
    static.isc("chap", NOAUTH, "--user", "bob", env={"ISC_CHAP_PASSWORD": SECRET})
    assert static.isc("chap", NOAUTH, "--clear").returncode == 0
    rec = flat_record(static)
    assert "node.session.auth.authmethod = None" in rec and SECRET not in rec


@pytest.mark.parametrize("secret", ["short", "x" * 17, "has space in it1"])
def test_bad_secret_is_refused_before_anything_is_written(static, secret):
    before = flat_record(static)
    r = static.isc("chap", NOAUTH, "--user", "bob", "--password-stdin", input=secret + "\n")
    assert r.returncode == 2
    assert r.stderr.startswith("isc: error: CHAP secret")
    assert secret not in r.stderr
    assert flat_record(static) == before


def test_chap_for_unknown_target_is_a_clear_error(static):
    r = static.isc("chap", CHAP, "--user", "bob", env={"ISC_CHAP_PASSWORD": SECRET})
    assert r.returncode == 3 and "no node record for target" in r.stderr


def test_startup_sets_both_keys_in_one_call_and_converges(static):
    r = static.isc("-v", "startup", NOAUTH, "automatic")
    assert r.returncode == 0
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("+ iscsiadm")]) == 1
    rec = flat_record(static)
    assert "node.startup = automatic" in rec and "node.conn[0].startup = automatic" in rec
    again = static.isc("-v", "startup", NOAUTH, "automatic")
    assert "already automatic" in again.stdout and "+ iscsiadm" not in again.stderr


def test_startup_under_root_edits_records_that_iscsiadm_then_reads(tgtd, host, tmp_path):
    """Preparing an image: under --root no iscsiadm runs; the records (made by the real iscsiadm through
    discovery) are edited in place, and the real iscsiadm reads the result back as it should."""
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    image = tmp_path / "image"
    (image / "etc").mkdir(parents=True)
    (image / "etc" / "iscsi").symlink_to(host.etc)
    record = host.etc / "nodes" / NOAUTH / "127.0.0.1,3260,1" / "lab"
    before = record.read_text()
    other = (host.etc / "nodes" / CHAP / "127.0.0.1,3260,1" / "lab").read_text()

    dry = host.isc("--root", str(image), "--dry-run", "startup", NOAUTH, "automatic")
    assert dry.returncode == 0, dry.stderr
    assert "would set startup automatic" in dry.stdout and record.read_text() == before

    r = host.isc("--root", str(image), "-v", "startup", NOAUTH, "automatic")
    assert r.returncode == 0, r.stderr
    assert "iscsiadm" not in r.stderr
    after = record.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("node.startup = manual", "node.startup = automatic"),
                       ("node.conn[0].startup = manual", "node.conn[0].startup = automatic")]
    assert sorted(p.name for p in record.parent.iterdir()) == ["lab"]  # no temp file or copy left beside it
    assert (host.etc / "nodes" / CHAP / "127.0.0.1,3260,1" / "lab").read_text() == other
    shown = host.iscsiadm("-m", "node", "-T", NOAUTH, "-p", "127.0.0.1", "-o", "show").stdout
    assert "node.startup = automatic" in shown and "node.conn[0].startup = automatic" in shown
    again = host.isc("--root", str(image), "startup", NOAUTH, "automatic")
    assert "already automatic" in again.stdout


def test_delete_removes_the_record(static):
    assert static.isc("nodes", "delete", NOAUTH).returncode == 0
    assert static.iscsiadm("-m", "node").returncode == 21


@pytest.mark.parametrize(("args", "needle"), [
    (["nodes", "add", "iqn.2003-13.org.x:y", "127.0.0.1"], "not a year-month date"),
    (["nodes", "add", NOAUTH, "127.0.0.1:99999"], "port '99999'"),
    (["nodes", "add", NOAUTH, "[fe80::1"], "missing ']'"),
    (["startup", NOAUTH, "sometimes"], "not one of automatic"),
    (["login", "eui.12"], "16 hexadecimal digits"),
])
def test_bad_input_exits_2_and_changes_nothing(host, args, needle):
    r = host.isc(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert not (host.etc / "nodes").exists()


def test_initiator_set_is_atomic_with_backup(host):
    r = host.isc("--root", str(host.dir / "rootfs"), "initiator")
    assert r.returncode == 3  # no file under that root
    assert host.isc("initiator").stdout.strip() == "iqn.2005-03.org.isc.host:initiator"
    r = host.isc("initiator", "set", "iqn.2005-03.org.isc.host:renamed")
    assert r.returncode == 0 and "restart iscsid" in r.stdout
    text = (host.etc / "initiatorname.iscsi").read_text()
    assert text == "## made by the host tests\nInitiatorName=iqn.2005-03.org.isc.host:renamed\n"
    backups = list(host.etc.glob("initiatorname.iscsi.isc-*"))
    assert len(backups) == 1 and "initiator\n" in backups[0].read_text()
    gen = host.isc("--json", "initiator", "set", "--generate")
    assert json.loads(gen.stdout)["initiator"]["new"].startswith("iqn.1993-08.org.debian:01:")


def test_secret_from_the_environment_is_not_passed_on_to_iscsiadm(static, tmp_path):
    """iscsiadm runs through a wrapper that records its environment, then execs the real iscsiadm."""
    seen = tmp_path / "environ"
    wrapper = tmp_path / "iscsiadm-env"
    wrapper.write_text(f"#!/bin/sh\nenv > {seen}\nexec iscsiadm \"$@\"\n")
    wrapper.chmod(0o755)
    r = static.isc("chap", NOAUTH, "--user", "bob",
                   env={"ISC_CHAP_PASSWORD": SECRET, "ISC_ISCSIADM": str(wrapper)})
    assert r.returncode == 0, r.stderr
    assert f"node.session.auth.password = {SECRET}" in flat_record(static)  # the real iscsiadm stored it
    environ = seen.read_text()
    assert "LC_ALL=C" in environ and SECRET not in environ and "ISC_CHAP_PASSWORD" not in environ


def test_nodes_set_changes_settings_in_one_call_and_converges(static):
    r = static.isc("-v", "nodes", "set", NOAUTH, "node.session.timeo.replacement_timeout=5",
                   "node.session.queue_depth=64")
    assert r.returncode == 0, r.stderr
    calls = [ln for ln in r.stderr.splitlines() if ln.startswith("+ iscsiadm")]
    assert len(calls) == 1 and "-n node.session.timeo.replacement_timeout -v 5" in calls[0]
    shown = static.iscsiadm("-m", "node", "-T", NOAUTH, "-o", "show").stdout
    assert "node.session.timeo.replacement_timeout = 5" in shown and "node.session.queue_depth = 64" in shown
    doc = json.loads(static.isc("--json", "nodes").stdout)["nodes"]
    assert [n["replacement_timeout"] for n in doc] == [5]
    again = static.isc("-v", "--json", "nodes", "set", NOAUTH, "node.session.timeo.replacement_timeout=5")
    assert again.returncode == 0 and "+ iscsiadm" not in again.stderr
    assert [x["changed"] for x in json.loads(again.stdout)["records"]] == [False]


def test_nodes_set_on_one_iface_of_a_portal(host):
    """A portal reached through two ifaces has a record for each; -I changes one of them only."""
    assert host.isc("iface", "add", "iface-lo", "--netdev", "lo").returncode == 0
    for args in (["nodes", "add", NOAUTH, "127.0.0.1:3260,1"], ["nodes", "add", NOAUTH, "127.0.0.1:3260,1", "-I",
                                                                  "iface-lo"]):
        assert host.isc(*args).returncode == 0
    r = host.isc("-v", "nodes", "set", NOAUTH, "-I", "iface-lo", "node.session.queue_depth=64")
    assert r.returncode == 0, r.stderr
    assert "-I iface-lo" in r.stderr and "(iface-lo)" in r.stdout
    portal_dir = host.etc / "nodes" / NOAUTH / "127.0.0.1,3260,1"
    assert "node.session.queue_depth = 64" in (portal_dir / "iface-lo").read_text()
    assert "node.session.queue_depth = 64" not in (portal_dir / "default").read_text()
    missing = host.isc("nodes", "set", NOAUTH, "-I", "iface-eth9", "node.session.queue_depth=64")
    assert missing.returncode == 3 and "no record for iface iface-eth9" in missing.stderr


@pytest.mark.parametrize(("pair", "needle"), [
    ("node.session.auth.password=s3cretS3cret99", "isc chap"),
    ("node.conn[0].address=10.0.0.9", "identity"),
    ("node.session.timeo.replacement_timeout=soon", "holds a number"),
    ("node.session.initial_login_retry_max=", "one word"),
    ("node.session.no_such_setting=1", "have no setting node.session.no_such_setting"),
    ("replacement_timeout=5", "not a node record setting"),
    ("node.session.timeo.replacement_timeout", "not NAME=VALUE"),
])
def test_nodes_set_refuses_before_anything_runs(static, pair, needle):
    before = flat_record(static)
    r = static.isc("-v", "nodes", "set", NOAUTH, pair)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert "+ iscsiadm" not in r.stderr and "s3cretS3cret99" not in r.stderr
    assert flat_record(static) == before


def test_doctor_finds_chap_secrets_readable_by_others(static, tmp_path):
    """iscsiadm writes a record holding a secret readable by root only; a copy with looser permissions, or
    a secret set as a default in iscsid.conf, is what doctor reports (under --root: files only)."""
    r = static.isc("chap", NOAUTH, "--user", "alice", "--password-stdin", input=f"{SECRET}\n")
    assert r.returncode == 0, r.stderr
    record = static.etc / "nodes" / NOAUTH / "127.0.0.1,3260"
    assert record.stat().st_mode & 0o777 == 0o600  # as iscsiadm made it
    (tmp_path / "image" / "etc").mkdir(parents=True)
    (tmp_path / "image" / "etc" / "iscsi").symlink_to(static.etc)

    def doctor() -> dict[str, dict[str, str]]:
        done = static.isc("--root", str(tmp_path / "image"), "--json", "doctor")
        assert SECRET not in done.stdout + done.stderr
        return {f["code"]: f for f in json.loads(done.stdout)["findings"] if f["code"] in ("ISC051", "ISC052")}

    assert doctor()["ISC051"]["level"] == "ok"
    record.chmod(0o644)
    conf = static.etc / "iscsid.conf"
    conf.write_text(conf.read_text() + f"node.session.auth.authmethod = CHAP\nnode.session.auth.password = {SECRET}\n")
    found = doctor()
    assert found["ISC051"]["level"] == "failure"
    assert f"/etc/iscsi/nodes/{NOAUTH}/127.0.0.1,3260" in found["ISC051"]["summary"]
    assert found["ISC052"]["level"] == "warning" and "/etc/iscsi/iscsid.conf" in found["ISC052"]["summary"]


# Holds isc's host-wide lock the way an isc process does (flock, its pid in the file) for 3 seconds.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open("/run/lock/isc.lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0); os.pwrite(fd, f"{os.getpid()}\\n".encode(), 0)
print("locked", flush=True)
time.sleep(3)
"""


def test_a_change_waits_for_the_lock_and_names_its_holder_while_reading_does_not(host):
    """Concurrent iscsiadm changes race (lost record updates, duplicate sessions): isc serialises its
    changes with a host-wide lock, and says whom it waits for instead of hanging silently."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        t0 = time.monotonic()
        listing = host.isc("nodes")  # reads the record files: no lock
        assert listing.returncode == 0 and holder.poll() is None and "waiting" not in listing.stderr
        r = host.isc("nodes", "add", NOAUTH, "127.0.0.1")
        assert holder.poll() == 0  # it could only finish once the holder had let go
        assert time.monotonic() - t0 >= 2.5
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 0, r.stderr
    assert f"waiting for process {holder.pid} (" in r.stderr and "/run/lock/isc.lock" in r.stderr
    assert NOAUTH in host.iscsiadm("-m", "node").stdout
    again = host.isc("nodes", "add", NOAUTH, "127.0.0.1")  # the lock is free again: no waiting
    assert again.returncode == 0 and "waiting" not in again.stderr


def test_tune_profiles_write_the_records_in_one_exec_and_converge(static):
    """isc tune with the real iscsiadm: a profile's values land in the record in one -o update, the range
    checks refuse before iscsiadm runs, a second run changes nothing, defaults come from iscsid.conf."""
    dry = static.isc("-v", "tune", NOAUTH, "--profile", "throughput", "--dry-run")
    assert dry.returncode == 0 and "node.session.queue_depth = 32" in flat_record(static)
    r = static.isc("-v", "tune", NOAUTH, "--profile", "throughput")
    assert r.returncode == 0, r.stderr
    updates = [ln for ln in r.stderr.splitlines() if ln.startswith("+ iscsiadm") and "-o update" in ln]
    assert len(updates) == 1
    rec = flat_record(static)
    # one portal: two sessions to it, under one map, are the profile's way to spread the load
    for line in ("node.session.queue_depth = 64", "node.session.cmds_max = 256", "node.session.nr_sessions = 2"):
        assert line in rec
    again = static.isc("--json", "tune", NOAUTH, "--profile", "throughput")
    doc = json.loads(again.stdout)["tune"]
    assert not doc["changed"] and doc["settings"] == {}
    bad = static.isc("-v", "tune", NOAUTH, "--set", "queue_depth=2000")
    assert bad.returncode == 2 and "1 to 1024" in bad.stderr and "+ iscsiadm" not in bad.stderr
    both = static.isc("tune", NOAUTH, "--set", "queue_depth=512", "--set", "cmds_max=128")
    assert both.returncode == 2 and "larger than cmds_max" in both.stderr
    back = static.isc("tune", NOAUTH, "--profile", "defaults")
    assert back.returncode == 0, back.stderr
    rec = flat_record(static)
    assert "node.session.queue_depth = 32" in rec and "node.session.nr_sessions = 1" in rec
