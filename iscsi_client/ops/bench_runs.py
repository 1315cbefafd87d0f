"""Saved isc bench runs: each run's figures with the tuning in force at the time, under /var/lib/isc/bench
(root only), and the comparison of runs ("before and after tuning" in one command).

A run file is JSON: id, time, subject, size and runtime, and per profile fio's figures with their units in
the field names; ``tuning`` holds isc tune's rows (record and live value of each setting), the sessions per
portal, the map's paths and the MTU, so a comparison can say what changed between two runs."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from iscsi_client.errors import NotFoundError, UsageError
from iscsi_client.ops.bench import ProfileResult, Subject
from iscsi_client.parsers.fio import Direction
from iscsi_client.records import record
from iscsi_client.system import benchdir
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

#: (field, unit words, higher is better) of each figure a run keeps per profile
FIGURES = (("bw_bytes_per_second", "B/s", True), ("iops", "IOPS", True), ("clat_mean_usec", "µs", False),
           ("clat_p50_usec", "µs", False), ("clat_p99_usec", "µs", False), ("clat_p99_9_usec", "µs", False))
_PCT = {"clat_p50_usec": "50.000000", "clat_p99_usec": "99.000000", "clat_p99_9_usec": "99.900000"}


def figures(d: Direction) -> dict[str, float | int | None]:
    """fio's figures of one direction, in the units their names say (fio's ns shown as µs)."""
    out: dict[str, float | int | None] = {"bw_bytes_per_second": d.bw_bytes, "iops": round(d.iops, 1),
                                          "clat_mean_usec": round(d.clat_mean_ns / 1000, 1)}
    for name, key in _PCT.items():
        ns = d.clat_percentiles_ns.get(key)
        out[name] = round(ns / 1000, 1) if ns is not None else None
    out["ios"] = d.ios
    out["runtime_msec"] = d.runtime_ms
    return out


def tuning_snapshot(root: Root, cmd: Commands, s: Subject) -> dict[str, object]:
    """What was in force for the subject's target: record and live values, sessions, paths, MTU."""
    if s.target is None:
        s = _owner(root, s)
    if s.target is None:
        return {}
    from iscsi_client.ops.tune import tune_view

    view = tune_view(root=root, cmd=cmd, target=s.target)
    per_portal: dict[str, int] = {}
    for sess in view.sessions:
        per_portal[sess.portal.address] = per_portal.get(sess.portal.address, 0) + 1
    return {"target": str(view.target), "settings": {r.name: {"record": r.record, "live": r.live} for r in view.rows},
            "sessions_per_portal": per_portal, "paths": len(view.sessions)}


def _owner(root: Root, s: Subject) -> Subject:
    """The target whose LUN the subject's device is (its disk or its map), if any."""
    from dataclasses import replace

    from iscsi_client.system import blockdev

    for v in blockdev.session_views(root):
        for lun in v.luns:
            if s.device.name in {d.name for d in (lun.disk, lun.map) if d is not None}:
                return replace(s, target=v.session.target, lun=lun.lun)
    return s


def save_run(root: Root, cmd: Commands, s: Subject, results: Sequence[ProfileResult], *, size: int,
             runtime: int) -> dict[str, object]:
    now = time.time()
    run: dict[str, object] = {
        "id": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "subject": {"name": s.name, "kind": s.kind, "device": s.path, "file": s.filename,
                    "target": str(s.target) if s.target else None, "lun": s.lun},
        "size_bytes": size, "runtime_sec": runtime,
        "fio_version": results[0].job.fio_version if results else "",
        "profiles": [{"profile": r.profile, **(figures(r.job.main) if r.job.main else {})} for r in results],
        "tuning": tuning_snapshot(root, cmd, s),
    }
    run["id"] = benchdir.save(root, str(run["id"]), json.dumps(run, indent=2) + "\n")
    return run


def last_two(runs: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """The latest run and the one before it of the same subject."""
    if not runs:
        return []
    same = [r for r in runs if r.get("subject") == runs[-1].get("subject")]
    return list(same[-2:])


def load_runs(root: Root, ids: Sequence[str] = ()) -> list[dict[str, object]]:
    """The named runs in the order given, or every saved run, oldest first."""
    stored = benchdir.listing(root)
    if not ids:
        return [json.loads(benchdir.read(root, i)) for i in stored]
    missing = [i for i in ids if i not in stored]
    if missing:
        raise NotFoundError(f"no saved bench run {', '.join(missing)}",
                            hint="isc bench --list shows the saved runs")
    return [json.loads(benchdir.read(root, i)) for i in ids]


@record
class CompareRow:
    profile: str
    figure: str
    unit: str
    values: tuple[float | int | None, ...]
    change_percent: float | None  # last against first
    better: bool | None  # the change is an improvement (higher bandwidth, lower latency)


def compare(runs: Sequence[dict[str, object]]) -> tuple[list[CompareRow], list[str]]:
    """Rows per profile and figure across the runs, and the tuning that differs between the first and last."""
    if len(runs) < 2:
        raise UsageError("--compare needs two saved runs", hint="run isc bench before and after a change")
    by_run = [{str(p["profile"]): p for p in run["profiles"]} for run in runs]  # type: ignore[attr-defined]
    names = list(dict.fromkeys(n for r in by_run for n in r))
    rows: list[CompareRow] = []
    for name in names:
        for field, unit, higher in FIGURES:
            values = tuple(r.get(name, {}).get(field) for r in by_run)
            first, last = values[0], values[-1]
            change = round((last - first) / first * 100, 1) if first and last is not None else None
            better = None if change is None or change == 0 else (change > 0) == higher
            rows.append(CompareRow(name, field, unit, values, change, better))
    return rows, tuning_changes(runs[0], runs[-1])


def tuning_changes(a: dict[str, object], b: dict[str, object]) -> list[str]:
    ta, tb = a.get("tuning") or {}, b.get("tuning") or {}
    assert isinstance(ta, dict) and isinstance(tb, dict)
    out = []
    sa, sb = ta.get("settings") or {}, tb.get("settings") or {}
    for name in dict.fromkeys([*sa, *sb]):
        va, vb = sa.get(name, {}), sb.get(name, {})
        for kind in ("record", "live"):
            if va.get(kind) != vb.get(kind):
                out.append(f"{name} {kind}: {va.get(kind, '-')} -> {vb.get(kind, '-')}")
    for key in ("paths", "sessions_per_portal"):
        if ta.get(key) != tb.get(key):
            out.append(f"{key}: {ta.get(key, '-')} -> {tb.get(key, '-')}")
    return out
