"""isc bench's choices and saved runs: which profiles run on a device that holds data, how runs are kept
(root-only, one file per run, ids that never collide) and compared."""

from __future__ import annotations

import json
import stat

import pytest

from iscsi_client.errors import InUseError, UsageError
from iscsi_client.ops.bench import choose_profiles
from iscsi_client.ops.bench_runs import compare, last_two, load_runs
from iscsi_client.system import benchdir
from iscsi_client.system.root import Root


def test_a_device_with_data_runs_the_read_profiles_and_says_why_not_the_others():
    run, left = choose_profiles([], "/dev/sdb holds signature xfs")
    assert [p.name for p in run] == ["seq-read", "rand-read"]
    assert left == ["seq-write: /dev/sdb holds signature xfs", "rand-write: /dev/sdb holds signature xfs"]
    with pytest.raises(InUseError, match="seq-write"):
        choose_profiles(["seq-read", "seq-write"], "/dev/sdb holds signature xfs")
    assert [p.name for p in choose_profiles(["rand-write"], None)[0]] == ["rand-write"]
    with pytest.raises(UsageError, match="profiles: seq-read"):
        choose_profiles(["randread"], None)


def _run(run_id: str, subject: str, iops: float, qd: str) -> dict:
    return {"id": run_id, "time": "", "subject": {"name": subject},
            "profiles": [{"profile": "rand-read", "bw_bytes_per_second": int(iops * 4096), "iops": iops,
                          "clat_mean_usec": 1000 / iops * 32}],
            "tuning": {"settings": {"queue_depth": {"record": qd, "live": qd}}, "paths": 2}}


def test_runs_are_saved_root_only_and_never_overwrite_each_other(tmp_path):
    root = Root(tmp_path)
    first = benchdir.save(root, "20261203T101500Z", json.dumps(_run("20261203T101500Z", "T", 100, "32")))
    second = benchdir.save(root, "20261203T101500Z", json.dumps(_run("20261203T101500Z", "T", 150, "64")))
    assert (first, second) == ("20261203T101500Z", "20261203T101500Z-2")
    base = tmp_path / "var/lib/isc/bench"
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in base.iterdir()} == {0o600}
    (base / "notes.txt").write_text("not a run")
    runs = load_runs(root)
    assert [r["id"] for r in runs] == [first, second]  # the id inside the file follows the name it got
    with pytest.raises(Exception, match="no saved bench run"):
        load_runs(root, ["20990101T000000Z"])


def test_compare_gives_the_change_and_whether_it_is_better():
    rows, changes = compare([_run("a", "T", 100, "32"), _run("b", "T", 150, "64")])
    by = {r.figure: r for r in rows}
    assert by["iops"].values == (100, 150) and by["iops"].change_percent == 50.0 and by["iops"].better is True
    assert by["clat_mean_usec"].better is True  # latency went down
    assert changes == ["queue_depth record: 32 -> 64", "queue_depth live: 32 -> 64"]
    with pytest.raises(UsageError):
        compare([_run("a", "T", 100, "32")])


def test_the_default_comparison_is_the_last_two_runs_of_the_latest_subject():
    runs = [_run("1", "T", 1, "32"), _run("2", "/srv/x", 1, "32"), _run("3", "T", 1, "32"),
            _run("4", "/srv/x", 2, "32")]
    assert [r["id"] for r in last_two(runs)] == ["2", "4"]
