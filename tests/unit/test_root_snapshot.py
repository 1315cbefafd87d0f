"""isc under --root over a snapshot of a real lab guest (tests/fixtures/lab-root/multipath.tar.gz: two
sessions to one LIO LUN, assembled by multipathd into one map, XFS mounted on /srv/data). Captured by
tests/lab/snapshot.py; no tool runs, only files are read. The snapshot is a tarball because sysfs symlinks
form cycles that tree walkers (setuptools, pip) would follow forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from refdata import FIXTURES

SNAP = Path()
MULTI = "iqn.2003-01.org.isc.lab:multi"
WWID = "360014055a1f0c3e00014c1a9d0015c00"


@pytest.fixture(scope="module", autouse=True)
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> None:
    global SNAP
    dest = tmp_path_factory.mktemp("lab-root")
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(dest, filter="tar")
    SNAP = dest / "multipath"


def isc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(SNAP), *args], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2])


def test_status_walks_sessions_to_the_mounted_map():
    r = isc("--json", "status")
    assert r.returncode == 0, r.stderr
    (target,) = json.loads(r.stdout)["targets"]
    assert target["target"] == MULTI
    rows = [(s["sid"], s["portal"], s["recovery_tmo"], lun["device"]["name"], lun["device"]["wwid"],
             lun["device"]["size_bytes"], lun["map"]["dm_name"], lun["map"]["fstype"], lun["map"]["mountpoints"])
            for s in target["sessions"] for lun in s["luns"]]
    assert rows == [
        (1, "127.0.0.1:3260", 5, "sda", WWID, 768 << 20, WWID, "xfs", ["/srv/data"]),
        (2, "127.0.0.2:3260", 5, "sdb", WWID, 768 << 20, WWID, "xfs", ["/srv/data"]),
    ]
    # the paths themselves carry no filesystem and no mount: the map does
    assert all(lun["device"]["mountpoints"] == [] and lun["device"]["holders"] == ["dm-0"]
               for s in target["sessions"] for lun in s["luns"])


def test_status_tree_in_a_pipe_holds_whole_lines_and_loads_no_rich():
    """The tree a script or `| grep` reads: every line whole at any terminal width (a wwid cut at 80 columns
    would be a wrong wwid), no colour codes, and rich is not imported for it."""
    code = ("import sys, runpy, atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in sys.modules "
            "if m.split('.')[0] == 'rich')));"
            f"sys.argv=['isc', '--root', {str(SNAP)!r}, 'status'];"
            "runpy.run_module('iscsi_client', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "40", "PYTHONIOENCODING": "utf-8"})
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [
        MULTI,
        "├── 127.0.0.1:3260  session 1  LOGGED_IN  recovery_tmo 5",
        f"│   └── LUN 0  /dev/sda  768M  LIO-ORG multi  wwid {WWID}",
        f"│       └── map /dev/mapper/{WWID} (dm-0)",
        "│           └── xfs UUID=ae5090c7-4929-438b-ac01-0ff951c3b4fe",
        "│               └── mounted on /srv/data",
        "└── 127.0.0.2:3260  session 2  LOGGED_IN  recovery_tmo 5",
        f"    └── LUN 0  /dev/sdb  768M  LIO-ORG multi  wwid {WWID}",
        f"        └── map /dev/mapper/{WWID} (dm-0)",
        "            └── xfs UUID=ae5090c7-4929-438b-ac01-0ff951c3b4fe",
        "                └── mounted on /srv/data",
    ]


def test_sessions_show_devices():
    doc = json.loads(isc("--json", "sessions").stdout)
    assert [(s["sid"], s["devices"]) for s in doc["sessions"]] == [(1, ["/dev/sda"]), (2, ["/dev/sdb"])]


def test_sessions_show_the_local_address_and_what_the_login_negotiated():
    """From the connection, session and host attributes the snapshot's kernel exposed (LIO's defaults)."""
    doc = json.loads(isc("--json", "sessions", "--sid", "2").stdout)
    (s,) = doc["sessions"]
    assert s["local_address"] == "127.0.0.1" and isinstance(s["local_port"], int) and s["chap_user"] is None
    assert s["negotiated"] == {
        "header_digest": "None", "data_digest": "None", "max_recv_data_segment_length": 262144,
        "max_xmit_data_segment_length": 262144, "first_burst_length": 65536, "max_burst_length": 262144,
        "immediate_data": True, "initial_r2t": True, "max_outstanding_r2t": 1}
    table = isc("sessions").stdout.splitlines()
    assert table[0].split()[:5] == ["SID", "TARGET", "PORTAL", "IFACE", "LOCAL"]
    details = isc("sessions", "-d", "-r", "1").stdout
    assert details.startswith(f"session 1: {MULTI} on 127.0.0.1:3260,1\n")
    assert "  HeaderDigest: None\n" in details and "  ImmediateData: Yes\n" in details


def test_logout_of_a_mounted_map_is_refused_before_anything_runs():
    r = isc("logout", MULTI)
    assert r.returncode == 7
    assert "mounted on /srv/data" in r.stderr and "path of multipath map" in r.stderr


def test_tools_are_never_run_under_root():
    assert isc("login", MULTI).returncode == 0  # already logged in: nothing to run
    r = isc("login", "iqn.2003-01.org.isc.lab:chap")
    assert r.returncode == 2 and "needs the live host" in r.stderr
    p = isc("persist", MULTI, "/srv/x", "--mkfs")
    assert p.returncode == 2 and "needs the live host" in p.stderr


def test_node_records_from_files():
    doc = json.loads(isc("--json", "nodes").stdout)
    assert {(n["target"], n["portal"]) for n in doc["nodes"] if n["target"] == MULTI} == {
        (MULTI, "127.0.0.1:3260"), (MULTI, "127.0.0.2:3260")}


def test_sessions_by_id_and_an_unknown_id():
    doc = json.loads(isc("--json", "sessions", "--sid", "2").stdout)
    assert [(s["sid"], s["portal"]) for s in doc["sessions"]] == [(2, "127.0.0.2:3260")]
    r = isc("sessions", "-r", "1", "-r", "9")
    assert r.returncode == 3 and "no session with id 9" in r.stderr


def test_logout_by_id_checks_that_session_and_ignores_unknown_ids():
    r = isc("logout", "--sid", "2")
    assert r.returncode == 7 and "sdb" in r.stderr  # its path holds the mounted map
    r = isc("--json", "logout", "--sid", "9")
    assert r.returncode == 0
    (o,) = json.loads(r.stdout)["logouts"]
    assert o["status"] == "already" and "no session with id 9" in o["detail"]


def test_unpersist_in_an_image_edits_fstab_and_records_only(tmp_path):
    """`isc --root IMAGE unpersist`: the fstab line and its comment go (backup kept, other lines
    byte-for-byte), and the target's records drop boot login, all by file edits; nothing runs."""
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    image = tmp_path / "multipath"
    fstab = image / "etc" / "fstab"
    mine = (f"# isc: {MULTI} lun 0\n"
            f"/dev/disk/by-id/dm-uuid-mpath-{WWID} /srv/data xfs _netdev,nofail 0 0\n")
    theirs = "# keep me\n/dev/vda  /  ext4  rw,errors=remount-ro  0 1\nLABEL=scratch /scratch ext4 defaults 0 2\n"
    fstab.write_text(theirs + mine)
    records = sorted((image / "etc/iscsi/nodes" / MULTI).glob("*/default"))
    assert len(records) == 2
    for rec in records:
        rec.write_text(rec.read_text().replace("startup = manual", "startup = automatic"))

    r = subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(image), "--json", "unpersist",
                        "/srv/data"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)["unpersist"]
    assert sorted(doc["startup_manual"]) == ["127.0.0.1:3260", "127.0.0.2:3260"]
    assert doc["unmounted"] is False
    assert fstab.read_text() == theirs
    (backup,) = (image / "etc").glob("fstab.isc-*")
    assert backup.read_text() == theirs + mine
    for rec in records:
        text = rec.read_text()
        assert "node.startup = manual" in text and "node.conn[0].startup = manual" in text
        assert "startup = automatic" not in text


def test_nodes_set_in_an_image_edits_the_records_and_knows_the_sessions(tmp_path):
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    image = tmp_path / "multipath"
    run = [sys.executable, "-m", "iscsi_client", "--root", str(image)]
    r = subprocess.run([*run, "--json", "nodes", "set", MULTI, "node.session.timeo.replacement_timeout=5"],
                       capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr
    records = json.loads(r.stdout)["records"]
    assert [(x["portal"], x["changed"], x["in_session"]) for x in records] == [
        ("127.0.0.1:3260", True, True), ("127.0.0.2:3260", True, True)]
    for rec in sorted((image / "etc/iscsi/nodes" / MULTI).glob("*/default")):
        assert "\nnode.session.timeo.replacement_timeout = 5\n" in rec.read_text()
    other = (image / "etc/iscsi/nodes/iqn.2003-01.org.isc.lab:chap/127.0.0.1,3260,1/default").read_text()
    assert "replacement_timeout = 120" in other
    human = subprocess.run([*run, "nodes", "set", MULTI, "node.session.timeo.replacement_timeout=5"],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert human.returncode == 0 and human.stdout.count("already has") == 2


def test_forgetting_a_discovery_portal_whose_records_are_in_use_is_refused(tmp_path):
    """The snapshot's records were discovered through 127.0.0.1:3260 and two of them have sessions."""
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    image = tmp_path / "multipath"
    st = image / "etc/iscsi/send_targets/127.0.0.1,3260/st_config"
    st.parent.mkdir(parents=True)
    st.write_text((FIXTURES / "host/st_config.txt").read_text())
    r = subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(image), "discover", "--forget",
                        "127.0.0.1"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 7, r.stderr
    assert f"{MULTI} on 127.0.0.1:3260 (session" in r.stderr and f"{MULTI} on 127.0.0.2:3260" in r.stderr
    assert "isc logout" in r.stderr and st.exists()


def test_config_dump_of_an_image_reads_files_only():
    r = isc("config", "dump")
    assert r.returncode == 0, r.stderr
    doc = tomllib.loads(r.stdout)
    assert doc["initiator"]["name"] == "iqn.2005-03.org.isc.lab:guest"
    multi = sorted(n["portal"] for n in doc["nodes"] if n["target"] == MULTI)
    assert multi == ["127.0.0.1:3260,1", "127.0.0.2:3260,1"]  # discovered: with their portal group tag
    assert all("password" not in str(n) for n in doc["nodes"])


def test_config_dump_as_json_holds_the_same_document():
    toml_doc = tomllib.loads(isc("config", "dump").stdout)
    json_doc = json.loads(isc("--json", "config", "dump").stdout)["config"]
    assert json_doc == toml_doc


def _bare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("words", [["status"], ["sessions", "--sid", "2"], ["nodes"], ["config", "dump"]])
def test_global_options_after_the_command_mean_the_same(words):
    """`isc status --json` as well as `isc --json status` (as systemctl and nvme-cli take options anywhere)."""
    before = _bare("--root", str(SNAP), "--json", *words)
    after = _bare(*words, "--json", "--root", str(SNAP))
    assert before.returncode == after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_dry_run_after_the_command_changes_nothing(tmp_path):
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    image = tmp_path / "multipath"
    records = sorted((image / "etc/iscsi/nodes" / MULTI).glob("*/default"))
    texts = [rec.read_text() for rec in records]
    r = _bare("--root", str(image), "nodes", "set", MULTI, "node.session.timeo.replacement_timeout=5", "-n")
    assert r.returncode == 0, r.stderr
    assert [rec.read_text() for rec in records] == texts
    r = _bare("--root", str(image), "nodes", "set", MULTI, "node.session.timeo.replacement_timeout=5")
    assert r.returncode == 0 and [rec.read_text() for rec in records] != texts
