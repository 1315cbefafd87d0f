"""isc discover against a real tgtd with the real iscsiadm."""

from __future__ import annotations

import json
import sys

import pytest
from hostenv import CHAP, ISC, NOAUTH


def test_discover_creates_records_and_reports_targets(tgtd, host):
    r = host.isc("--json", "discover", "127.0.0.1", "--iface", "lab")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    found = {(t["target"], t["portal"], t["record"]) for t in doc["targets"]}
    assert found == {(NOAUTH, "127.0.0.1:3260", "new"), (CHAP, "127.0.0.1:3260", "new")}
    # the records exist in open-iscsi's own database, as iscsiadm reports it
    listed = host.iscsiadm("-m", "node").stdout
    assert f"127.0.0.1:3260,1 {NOAUTH}" in listed and f"127.0.0.1:3260,1 {CHAP}" in listed


def test_rediscovery_keeps_startup_and_chap_of_existing_nodes(tgtd, host):
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    assert host.isc("startup", NOAUTH, "automatic").returncode == 0
    r = host.isc("chap", CHAP, "--user", "keepme", "--password-stdin", input="keepsecret1234\n")
    assert r.returncode == 0, r.stderr

    again = host.isc("--json", "discover", "127.0.0.1", "--iface", "lab")
    assert again.returncode == 0, again.stderr
    assert {t["record"] for t in json.loads(again.stdout)["targets"]} == {"kept"}

    noauth = host.record(NOAUTH)
    assert "node.startup = automatic" in noauth and "node.conn[0].startup = automatic" in noauth
    chap = host.record(CHAP)
    assert "node.session.auth.username = keepme" in chap
    assert "node.session.auth.password = keepsecret1234" in chap


def test_plain_iscsiadm_rediscovery_would_reset_startup(tgtd, host):
    """The trap isc avoids, shown with iscsiadm itself: a plain rediscovery resets node.startup."""
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    assert host.isc("startup", NOAUTH, "automatic").returncode == 0
    host.iscsiadm("-m", "discovery", "-t", "st", "-p", "127.0.0.1", "-I", "lab")
    assert "node.startup = manual" in host.record(NOAUTH)


def _st_config(host) -> str:
    return (host.etc / "send_targets" / "127.0.0.1,3260" / "st_config").read_text()


def test_rediscovery_keeps_the_discovery_chap_of_the_portal(tgtd, host):
    r = host.isc("discover", "127.0.0.1", "--iface", "lab", "--chap-user", "discuser", "--password-stdin",
                 input="discsecret1234\n")
    assert r.returncode == 0, r.stderr
    again = host.isc("-v", "discover", "127.0.0.1", "--iface", "lab")
    assert again.returncode == 0, again.stderr
    # one exec, through the stored discovery record
    assert again.stderr.count("+ iscsiadm") == 1 and "-m discoverydb" in again.stderr
    st = _st_config(host)
    assert "discovery.sendtargets.auth.authmethod = CHAP" in st
    assert "discovery.sendtargets.auth.username = discuser" in st
    assert "discovery.sendtargets.auth.password = discsecret1234" in st
    listed = host.isc("--json", "discover", "--list")
    assert json.loads(listed.stdout)["discovery_records"] == [
        {"portal": "127.0.0.1:3260", "type": "sendtargets", "auth": "CHAP", "chap_user": "discuser",
         "chap_user_in": None}]
    table = host.isc("discover", "--list").stdout
    assert "discuser" in table and "discsecret1234" not in table + listed.stdout
    # the trap, shown with iscsiadm itself: plain discovery rewrites the record without its CHAP
    host.iscsiadm("-m", "discovery", "-t", "st", "-p", "127.0.0.1", "-I", "lab")
    assert "discovery.sendtargets.auth.authmethod = None" in _st_config(host)


def test_forget_names_the_records_iscsiadm_deletes_with_the_portal(tgtd, host):
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    assert host.isc("nodes", "add", "iqn.2003-01.org.isc.host:static", "127.0.0.1").returncode == 0
    dry = host.isc("--dry-run", "discover", "--forget", "127.0.0.1")
    assert dry.returncode == 0 and "would delete" in dry.stdout + dry.stderr
    assert (host.etc / "send_targets" / "127.0.0.1,3260").exists()
    r = host.isc("--json", "discover", "--forget", "127.0.0.1")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["forgotten"] == "127.0.0.1:3260"
    assert sorted(n["target"] for n in doc["records_deleted"]) == [CHAP, NOAUTH]
    # what iscsiadm itself now lists: the static record stays, the discovered ones went with the portal
    assert host.iscsiadm("-m", "node").stdout.split() == ["127.0.0.1:3260,4294967295",
                                                          "iqn.2003-01.org.isc.host:static"]
    assert host.iscsiadm("-m", "discoverydb").stdout.strip() == ""
    again = host.isc("discover", "--forget", "127.0.0.1")
    assert again.returncode == 3 and "no sendtargets discovery record for 127.0.0.1:3260" in again.stderr


def test_mutual_discovery_chap_is_stored_and_never_shown(tgtd, host):
    bad = host.isc("discover", "127.0.0.1", "--mutual-user", "disctgt")
    assert bad.returncode == 2 and "--mutual-user needs --chap-user" in bad.stderr
    same = host.isc("-v", "discover", "127.0.0.1", "--chap-user", "disc", "--mutual-user", "disctgt",
                    "--password-stdin", input="discsecret1234\ndiscsecret1234\n")
    assert same.returncode == 2 and "must differ" in same.stderr and "+ iscsiadm" not in same.stderr
    # a portal asked before keeps its record when a later discovery fails (tgtd's portal has no mutual
    # discovery CHAP): the settings are stored before the discovery runs
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    r = host.isc("-v", "discover", "127.0.0.1", "--iface", "lab", "--chap-user", "disc", "--mutual-user", "disctgt",
                 "--password-stdin", input="discsecret1234\ndiscmutual1234\n")
    st = _st_config(host)
    assert "discovery.sendtargets.auth.username_in = disctgt" in st
    assert "discovery.sendtargets.auth.password_in = discmutual1234" in st
    assert "discmutual1234" not in r.stdout + r.stderr and "discsecret1234" not in r.stdout + r.stderr
    listed = host.isc("discover", "--list").stdout
    assert "mutual CHAP" in listed and "discmutual1234" not in listed


def test_isns_portal_defaults_to_port_3205(host):
    r = host.isc("--dry-run", "discover", "--isns", "192.0.2.7")
    assert r.returncode == 0, r.stderr
    assert "iscsiadm -m discoverydb -t isns -p 192.0.2.7:3205 --discover -o new" in r.stderr
    # iscsiadm has no discovery.isns.auth.* (it refuses them with rc 7): said before anything runs
    chap = host.isc("--dry-run", "discover", "--isns", "192.0.2.7", "--chap-user", "u", "--password-stdin",
                    input="discsecret1234\n")
    assert chap.returncode == 2 and "no CHAP for iSNS" in chap.stderr and "would run" not in chap.stderr


def test_refused_portal_maps_to_unreachable_and_leaves_no_record(tgtd, host):
    r = host.isc("discover", "127.0.0.1:3299", "--iface", "lab")
    assert r.returncode == 5
    assert "isc: error: discovery at 127.0.0.1:3299" in r.stderr
    assert "hint:" in r.stderr and "Traceback" not in r.stderr
    # iscsiadm alone keeps a record for the portal it could not reach; isc removes the one it made
    host.iscsiadm("-m", "discovery", "-t", "st", "-p", "127.0.0.1:3299", "-I", "lab")
    assert host.iscsiadm("-m", "discoverydb").stdout.strip() == "127.0.0.1:3299 via sendtargets"
    host.iscsiadm("-m", "discoverydb", "-t", "st", "-p", "127.0.0.1:3299", "-o", "delete")
    assert host.isc("discover", "127.0.0.1:3299", "--iface", "lab").returncode == 5
    assert host.iscsiadm("-m", "discoverydb").stdout.strip() == ""
    assert "no discovery records" in host.isc("discover", "--list").stdout


@pytest.mark.parametrize("iface", [[], ["--iface", "lab"]])
def test_missing_kernel_initiator_is_explained(tgtd, host, iface):
    """Without the fake transport iscsiadm needs the kernel module: rc 12 (default iface) or rc 21 with
    'Could not load transport' (named iface) both become one plain message."""
    r = host.run(["sh", "-c", "umount /sys/class && exec \"$@\"", "sh", *ISC, "discover", "127.0.0.1", *iface])
    assert r.returncode == 6, r.stderr
    assert "kernel's iSCSI initiator (iscsi_tcp) is not available" in r.stderr
    assert "modprobe iscsi_tcp" in r.stderr


def test_login_without_iscsid_says_how_to_start_it(tgtd, host):
    assert host.isc("discover", "127.0.0.1", "--iface", "lab").returncode == 0
    r = host.isc("--json", "login", NOAUTH)
    assert r.returncode == 6
    doc = json.loads(r.stdout)
    (login,) = doc["logins"]
    assert login["status"] == "failed"
    assert login["error"]["iscsiadm_rc"] == 20
    assert "iscsid is not running" in login["error"]["message"]
    assert "systemctl start iscsid" in login["error"]["hint"]


def test_firmware_targets_where_the_host_has_none(host):
    r = host.isc("discover", "--firmware")
    assert r.returncode == 3
    assert "firmware has no iSCSI boot (iBFT) targets" in r.stderr


def test_slp_is_explained_not_attempted(host):
    r = host.isc("discover", "--slp", "192.0.2.1")
    assert r.returncode == 2 and "SLP discovery is not supported by open-iscsi" in r.stderr


def test_discover_login_tries_only_the_named_target(tgtd, host):
    """--login --target: discovery records every target, the login goes to the one named (here it fails
    the way any login does on this host, with iscsid's rc 20, and the exit code says so)."""
    r = host.isc("--json", "discover", "127.0.0.1", "--iface", "lab", "--login", "--target", NOAUTH)
    assert r.returncode == 6, r.stderr
    doc = json.loads(r.stdout)
    assert {t["target"] for t in doc["targets"]} == {NOAUTH, CHAP}
    assert [(x["target"], x["portal"], x["status"]) for x in doc["logins"]] == [(NOAUTH, "127.0.0.1:3260", "failed")]
    assert doc["logins"][0]["error"]["iscsiadm_rc"] == 20
    assert doc["exit_code"] == 6


def test_discover_login_target_not_offered_is_not_found(tgtd, host):
    r = host.isc("discover", "127.0.0.1", "--iface", "lab", "--login", "--target", "iqn.2003-01.org.isc.host:nope")
    assert r.returncode == 3
    assert "the discovery did not return iqn.2003-01.org.isc.host:nope" in r.stderr
    assert "Traceback" not in r.stderr
    # the discovery itself happened and was reported before the refusal
    assert NOAUTH in r.stdout and (host.etc / "nodes" / NOAUTH).is_dir()


def test_discover_target_without_login_is_a_usage_error(tgtd, host):
    r = host.isc("discover", "127.0.0.1", "--iface", "lab", "--target", NOAUTH)
    assert r.returncode == 2
    assert "add --login" in r.stderr
    assert not (host.etc / "nodes").exists() or not any((host.etc / "nodes").iterdir())


def test_discover_login_dry_run_runs_nothing(tgtd, host):
    r = host.isc("--dry-run", "discover", "127.0.0.1", "--iface", "lab", "--login")
    assert r.returncode == 0, r.stderr
    assert "iscsiadm -m discovery -t st -p 127.0.0.1:3260 -I lab -o new" in r.stderr
    assert "would then log in" in r.stderr
    assert not (host.etc / "nodes").exists() or not any((host.etc / "nodes").iterdir())


def test_a_discover_login_runs_its_discovery_first_and_loads_the_login_meanwhile(tgtd, host):
    """The first exec of `discover --login` (the discovery) starts before re, enum, functools and collections
    are imported (about 50 ms of a start in the TCG lab guest), and the login's modules are imported while
    that exec runs (iscsi_client.preload): before the probe of the portals it answered with. Run with -S and
    site-packages as plain directories: an editable install's import hook loads re before isc does. The
    login itself fails here (no kernel initiator); what is checked comes before it."""
    import ast
    import site
    from pathlib import Path

    paths = [str(Path(__file__).resolve().parents[2]), *site.getsitepackages()]
    code = f"""
import sys
sys.path[:0] = {paths!r}
events = []
def hook(name, args):
    if name == "os.posix_spawn" and not events:
        events.append(("exec", sorted(sys.modules)))
    elif name == "import" and args[0] == "iscsi_client.ops.login":
        events.append(("login imported", []))
    elif name == "socket.__new__" and ("probe", []) not in events:
        events.append(("probe", []))
sys.addaudithook(hook)
import atexit
atexit.register(lambda: sys.stderr.write("\\nEVENTS " + repr(events)))
sys.argv = ["isc", "discover", "127.0.0.1", "--iface", "lab", "--login", "--target", {NOAUTH!r}, "--no-wait"]
from iscsi_client.cli.entry import main
main()
"""
    r = host.run([sys.executable, "-S", "-c", code])
    assert "\nEVENTS " in r.stderr, r.stderr
    events = ast.literal_eval(r.stderr.rpartition("\nEVENTS ")[2])
    assert [e[0] for e in events] == ["exec", "login imported", "probe"], r.stderr
    assert {"re", "enum", "functools", "collections"} & set(events[0][1]) == set()
    assert "iscsi_client.ops.discover" in events[0][1]  # (the list is the one of the first exec)
