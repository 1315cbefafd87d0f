"""isc metrics over the snapshot of a real lab guest (two sessions to one LIO LUN, one map, XFS mounted on
/srv/data) and over multipathd's real JSON, read back with prometheus_client's own text parser."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from refdata import FIXTURES

from iscsi_client.ops.doctor_facts import gather
from iscsi_client.ops.metrics import families
from iscsi_client.parsers.multipath import parse_maps_json
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

REPO = Path(__file__).resolve().parents[2]
MULTI = "iqn.2003-01.org.isc.lab:multi"
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


@pytest.fixture()
def snap(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    return tmp_path / "multipath"


def isc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(root), *args],
                          capture_output=True, text=True, cwd=REPO)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        assert fam.type == "gauge" and NAME.match(fam.name) and fam.name.startswith("isc_")
        assert not fam.name.endswith("_total"), "a gauge must not end in _total"
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: dict, name: str, **labels: str) -> float:
    return got[(name, frozenset(labels.items()))]


def test_the_snapshot_as_prometheus_reads_it(snap: Path):
    r = isc(snap, "metrics")
    assert r.returncode == 0, r.stderr
    got = samples(r.stdout)
    for portal in ("127.0.0.1:3260", "127.0.0.2:3260"):
        assert value(got, "isc_sessions", target=MULTI, portal=portal, state="logged_in") == 1
        assert value(got, "isc_sessions", target=MULTI, portal=portal, state="failed") == 0
        assert value(got, "isc_node_logged_in", target=MULTI, portal=portal, startup="manual") == 1
    assert value(got, "isc_node_logged_in", target="iqn.2003-01.org.isc.lab:chap", portal="127.0.0.1:3260",
                 startup="manual") == 0
    assert value(got, "isc_lun_paths", target=MULTI, lun="0") == 2
    assert value(got, "isc_lun_expected_paths", target=MULTI, lun="0") == 2
    assert value(got, "isc_luns_missing_paths", target=MULTI) == 0
    assert value(got, "isc_multipathd_up") == 0  # --root: multipathd is not asked
    # the mount on /srv/data has no fstab line: doctor's ISC044 warning, counted by code and level
    assert value(got, "isc_doctor_findings", code="ISC044", level="warning") == 1
    assert value(got, "isc_doctor_findings", code="ISC040", level="failure") == 0
    assert value(got, "isc_sample_duration_seconds") < 5
    labels = {k for (_, ls) in got for k, _ in ls}
    assert labels <= {"target", "portal", "state", "startup", "lun", "map", "mountpoint", "code", "level"}


def test_fstab_mounts_present_and_missing(snap: Path):
    uuid = json.loads(isc(snap, "--json", "status").stdout)["targets"][0]["sessions"][0]["luns"][0]["map"]["fs_uuid"]
    fstab = snap / "etc/fstab"
    fstab.write_bytes(fstab.read_bytes() + (
        f"# isc: {MULTI} lun 0\nUUID={uuid} /srv/data xfs _netdev,nofail 0 0\n"
        f"# isc: {MULTI} lun 1\nUUID=0b8e7c1e-0000-4000-8000-000000000001 /srv/gone xfs _netdev,nofail 0 0\n"
        "/dev/vdb /srv/local ext4 defaults 0 2\n").encode())
    got = samples(isc(snap, "metrics").stdout)
    assert value(got, "isc_mount_present", mountpoint="/srv/data") == 1
    assert value(got, "isc_mount_present", mountpoint="/srv/gone") == 0
    assert not any(n == "isc_mount_present" and ("mountpoint", "/srv/local") in ls for n, ls in got)


def test_paths_by_state_from_multipathd(snap: Path):
    """One path of the real map failed (dm failed, checker faulty): the failed count and doctor say so."""
    text = (FIXTURES / "lab" / "multipathd_show_maps_json.txt").read_text()
    (healthy,) = parse_maps_json(text)
    facts = dataclasses.replace(gather(root=Root(snap), cmd=Commands(Root(snap)), probe_mtu=False), maps=[healthy])
    from iscsi_client.exposition import text as exposition

    got = samples(exposition(families(facts, started=1.0, finished=1.5)))
    assert value(got, "isc_multipathd_up") == 1
    assert value(got, "isc_multipath_paths", map=healthy.name, state="active") == 2
    assert value(got, "isc_multipath_paths", map=healthy.name, state="failed") == 0
    failed = text.replace('"dm_st" : "active",\n            "dev_st" : "running",\n            "chk_st" : "ready"',
                          '"dm_st" : "failed",\n            "dev_st" : "running",\n            "chk_st" : "faulty"',
                          1)
    (broken,) = parse_maps_json(failed)
    assert [p.dm_state for p in broken.paths] == ["failed", "active"]
    got = samples(exposition(families(dataclasses.replace(facts, maps=[broken]), started=1.0, finished=1.5)))
    assert value(got, "isc_multipath_paths", map=healthy.name, state="active") == 1
    assert value(got, "isc_multipath_paths", map=healthy.name, state="failed") == 1
    assert value(got, "isc_doctor_findings", code="ISC022", level="failure") == 1
    assert value(got, "isc_sample_timestamp_seconds") == 1.0


def test_a_failed_session_loses_its_paths(snap: Path):
    (snap / "sys/class/iscsi_session/session2/state").write_text("FAILED\n")
    got = samples(isc(snap, "metrics").stdout)
    assert value(got, "isc_sessions", target=MULTI, portal="127.0.0.2:3260", state="failed") == 1
    assert value(got, "isc_sessions", target=MULTI, portal="127.0.0.2:3260", state="logged_in") == 0
    assert value(got, "isc_node_logged_in", target=MULTI, portal="127.0.0.2:3260", startup="manual") == 0
    assert value(got, "isc_lun_paths", target=MULTI, lun="0") == 1
    assert value(got, "isc_lun_expected_paths", target=MULTI, lun="0") == 1


def test_json_is_one_document(snap: Path):
    doc = json.loads(isc(snap, "--json", "metrics").stdout)
    by_name = {m["name"]: m for m in doc["metrics"]}
    assert {"labels": {"target": MULTI, "lun": "0"}, "value": 2.0} in by_name["isc_lun_paths"]["samples"]
    assert all(m["type"] == "gauge" and m["help"] for m in doc["metrics"])


def test_textfile_written_whole_and_dry_run_writes_nothing(snap: Path, tmp_path: Path):
    out = tmp_path / "textfile"
    out.mkdir()
    r = isc(snap, "--dry-run", "metrics", "--textfile", str(out))
    assert r.returncode == 0 and "would write" in r.stdout and list(out.iterdir()) == []
    r = isc(snap, "--json", "metrics", "--textfile", str(out))
    doc = json.loads(r.stdout)["textfile"]
    assert doc["written"] and doc["path"] == str(out / "isc.prom")
    assert [p.name for p in out.iterdir()] == ["isc.prom"]  # no temporary file left beside it
    got = samples((out / "isc.prom").read_text())
    assert value(got, "isc_lun_paths", target=MULTI, lun="0") == 2


def test_textfile_directory_missing_is_a_plain_error(snap: Path, tmp_path: Path):
    r = isc(snap, "metrics", "--textfile", str(tmp_path / "nope"))
    assert r.returncode == 6 and "Traceback" not in r.stderr
    assert "is not a directory" in r.stderr and "node-exporter" in r.stderr
    r = isc(snap, "--json", "metrics", "--textfile", str(tmp_path / "nope"))
    assert json.loads(r.stdout)["error"]["exit_code"] == 6


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (apt install prometheus)")
def test_promtool_lints_the_snapshot_clean(snap: Path):
    """Prometheus' own linter (promtool check metrics): naming rules, suffixes for each type, HELP for each
    family. It exits 3 and names the metric when one breaks a rule."""
    r = isc(snap, "metrics")
    assert r.returncode == 0, r.stderr
    lint = subprocess.run(["promtool", "check", "metrics"], input=r.stdout, capture_output=True, text=True)
    assert lint.returncode == 0 and lint.stdout + lint.stderr == "", lint.stdout + lint.stderr
