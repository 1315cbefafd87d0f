"""A teardown's order on the lab's multipath snapshot, with every program it runs recorded instead of run (the
spawn boundary: Commands and Iscsiadm run as they do on a host). The checks come first; the records' startup
lines are read while the maps flush, once, before the logout's exec; a refused teardown reads none of them.
tests/lab/test_scale.py runs the same teardown against 32 real targets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from refdata import lab_snapshot

from iscsi_client.errors import InUseError
from iscsi_client.ops.logout import logout
from iscsi_client.ops.teardown import teardown
from iscsi_client.system import blockdev, spawn, sysfs
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root

MULTI = "iqn.2003-01.org.isc.lab:multi"
_listening: list[list[str]] = []  # the events list an audit hook appends to (a hook stays for the process)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _listening and event == "open" and isinstance(args[0], str) and "/etc/iscsi/nodes/" in args[0]:
        _listening[-1].append("read " + args[0].split("/etc/iscsi/nodes/", 1)[1])


sys.addaudithook(_hook)


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return lab_snapshot(tmp_path)


@pytest.fixture
def events(snap: Path, monkeypatch: pytest.MonkeyPatch):
    """The programs run (``run ARGV``) and record files opened (``read PATH``), in order; every program
    succeeds with no output. The snapshot's root is taken for a live one (it runs programs)."""
    got: list[str] = []

    def fake_run(argv, *, env, stdin=None, timeout=None):
        got.append("run " + " ".join(argv))
        return 0, b"", b""

    monkeypatch.setattr(spawn, "run", fake_run)
    monkeypatch.setattr(Root, "require_live", lambda self, what: None)
    _listening.append(got)
    yield got
    _listening.clear()


def _tear_down(snap: Path) -> list:
    root = Root(snap)
    return logout(root=root, adm=Iscsiadm(root), cmd=Commands(root), target=None, portal=None,
                  all_sessions=True, teardown=True, unmount=True)


def test_records_are_read_once_while_the_maps_flush_before_the_logout(snap, events):
    records = sorted(str(p.relative_to(snap / "etc/iscsi/nodes")) for p in (snap / "etc/iscsi/nodes").rglob("default"))
    outcomes = _tear_down(snap)
    assert outcomes and all(o.status != "failed" for o in outcomes), outcomes
    runs = [e for e in events if e.startswith("run ")]
    assert runs[0] == "run umount /srv/data"
    logout_at = events.index("run iscsiadm -m session -u")
    flushes = [events.index(e) for e in runs if e.startswith(("run multipath -f", "run blockdev --flushbufs"))]
    assert len(flushes) == 2 and max(flushes) < logout_at, events
    reads = [e.removeprefix("read ") for e in events if e.startswith("read ")]
    assert sorted(reads) == records, "each record file read exactly once"
    # read after the buffers' flush (they run in one thread, in this order), before the logout starts
    at = [i for i, e in enumerate(events) if e.startswith("read ")]
    assert events.index(next(e for e in runs if e.startswith("run blockdev"))) < min(at) and max(at) < logout_at
    # every record was manual: nothing was written
    assert not [e for e in runs if "-o update" in e or "-o new" in e]
    assert all("node.startup" not in step for o in outcomes for step in o.steps)


def test_a_record_that_differs_is_set_manual_by_the_teardown(snap, events):
    for rec in (snap / "etc/iscsi/nodes" / MULTI).rglob("default"):
        rec.write_text(rec.read_text().replace("node.startup = manual", "node.startup = automatic"))
    outcomes = _tear_down(snap)
    assert {f"node.startup manual for {MULTI}"} == {s for o in outcomes for s in o.steps if "node.startup" in s}
    for rec in (snap / "etc/iscsi/nodes" / MULTI).rglob("default"):
        assert "node.startup = manual\n" in rec.read_text()


def test_a_refused_teardown_runs_and_reads_nothing_more(snap, events):
    root = Root(snap)
    sessions = sysfs.read_sessions(root, brief=True)
    views = blockdev.session_views(root, sessions, brief=True)
    called: list[str] = []
    with pytest.raises(InUseError, match="mounted on /srv/data"):
        teardown(root, Commands(root), views, sessions, unmount=False, meanwhile=lambda: called.append("read"))
    assert called == [] and not [e for e in events if e.startswith("run ")]
    assert teardown(root, Commands(root), views, sessions, unmount=True, meanwhile=lambda: called.append("read"))
    assert called == ["read"]
