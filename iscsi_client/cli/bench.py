"""isc bench: fio against a LUN, a device or a mounted filesystem; results saved and compared."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.context import Ctx, get
from iscsi_client.output import Column, emit_json, note, print_table, say

PROFILE_NAMES = ("seq-read", "seq-write", "rand-read", "rand-write")


def _mib(v: object) -> str:
    return f"{v / 1048576:.1f} MiB/s" if isinstance(v, int | float) else "-"


def _num(v: object, unit: str = "") -> str:
    return f"{v:,.1f}{unit}" if isinstance(v, int | float) else "-"


RESULT_COLUMNS = [
    Column("profile", "profile", lambda p: p["profile"]),
    Column("bw_bytes_per_second", "bandwidth", lambda p: _mib(p.get("bw_bytes_per_second"))),
    Column("iops", "IOPS", lambda p: _num(p.get("iops"))),
    Column("clat_mean_usec", "clat mean", lambda p: _num(p.get("clat_mean_usec"), " µs")),
    Column("clat_p50_usec", "p50", lambda p: _num(p.get("clat_p50_usec"), " µs")),
    Column("clat_p99_usec", "p99", lambda p: _num(p.get("clat_p99_usec"), " µs")),
    Column("clat_p99_9_usec", "p99.9", lambda p: _num(p.get("clat_p99_9_usec"), " µs")),
]


def _size(text: str) -> int:
    from iscsi_client.errors import UsageError

    units = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    num, unit = (t[:-1], t[-1]) if t and t[-1] in units else (t, "")
    if not num.isdigit() or int(num) == 0:
        raise UsageError(f"{text!r} is not a size", hint="e.g. --size 1G, --size 256M")
    return int(num) * units[unit]


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    tasks: dict[str, object] = {}
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), TaskProgressColumn(),
                  transient=True) as bar:
        def update(profile: str, fraction: float) -> None:
            if profile not in tasks:
                tasks[profile] = bar.add_task(profile, total=1.0)
            bar.update(tasks[profile], completed=fraction)  # type: ignore[arg-type]
        yield update


def bench_cmd(
    ctx: typer.Context,
    subject: list[str] = typer.Argument(None, metavar="TARGET[/LUN]|DEVICE|MOUNTPOINT",
                                        help="What to measure (with --compare: saved run ids)."),
    profile: list[str] = typer.Option([], "--profile", "-p", autocompletion=completers.fio_profiles,
                                      help="seq-read, seq-write, rand-read, rand-write (repeatable; default all)."),
    size: str = typer.Option("1G", "--size", metavar="SIZE", help="Bytes each job covers (at most the device, or "
                                                                   "half the free space of a filesystem)."),
    runtime: int = typer.Option(30, "--runtime", min=1, max=3600, metavar="SECONDS", help="Seconds per profile."),
    destructive: str | None = typer.Option(None, "--destructive", metavar="DEVICE",
                                           help="Let write profiles overwrite a device that holds data: name the "
                                                "device again."),
    compare: bool = typer.Option(False, "--compare", help="Show saved runs side by side (default: the last two)."),
    list_runs: bool = typer.Option(False, "--list", help="List the saved runs."),
) -> int:
    """Measure with fio: bandwidth, IOPS and completion latency per profile (the guides' 1 MiB sequential
    and 4 KiB random, iodepth 32 x 4 jobs).

    Write profiles never touch a device that holds a filesystem, partition table or other signature, or is
    mounted, held or open, unless --destructive names it again; on a mount point they use a scratch file
    that is removed afterwards. Each run is saved (/var/lib/isc/bench) with the tuning in force:
    isc bench --compare shows the change.
    """
    c = get(ctx)
    if list_runs or compare:
        return _saved(c, subject or [], compare=compare)
    from iscsi_client.errors import UsageError

    if not subject or len(subject) != 1:
        raise UsageError("name one thing to measure: TARGET[/LUN], a /dev/ device or a mount point",
                         hint="isc bench --compare compares saved runs")
    from iscsi_client.ops.bench import bench_size, choose_profiles, fio_args, refusal, resolve, run_profiles
    from iscsi_client.ops.bench_runs import save_run

    cmd = c.commands()
    s = resolve(c.root, subject[0])
    chosen, left_out = choose_profiles(profile, refusal(c.root, cmd, s, destructive))
    nbytes = bench_size(c.root, s, _size(size))
    for line in left_out:
        note(f"left out {line}")
    if c.dry_run:
        plan = [f"fio {' '.join(fio_args(p, s, size=nbytes, runtime=runtime))}" for p in chosen]
        if c.json:
            emit_json({"bench": {"dry_run": True, "commands": plan, "left_out": left_out}})
        else:
            for line in plan:
                say(f"would run: {line}")
        return 0
    with _progress_bar(not c.json) as progress:
        try:
            results = run_profiles(c.root, s, chosen, size=nbytes, runtime=runtime, observer=c.observer,
                                   progress=progress)
        except KeyboardInterrupt:
            from iscsi_client.errors import IscError

            raise IscError("interrupted: fio was stopped" + (" and its scratch file removed" if s.mountpoint else ""),
                           exit_code=130) from None
    run = save_run(c.root, cmd, s, results, size=nbytes, runtime=runtime)
    if c.json:
        emit_json({"bench": {**run, "left_out": left_out}})
        return 0
    print_table(RESULT_COLUMNS, run["profiles"], title=f"{s.name} ({s.filename})")  # type: ignore[arg-type]
    say(f"saved as run {run['id']}: isc bench --compare shows it beside the one before")
    return 0


def _saved(c: Ctx, ids: list[str], *, compare: bool) -> int:
    from iscsi_client.ops.bench_runs import compare as compare_runs
    from iscsi_client.ops.bench_runs import load_runs

    runs = load_runs(c.root, ids)
    if not compare:
        rows = [{"id": r["id"], "time": r["time"], "subject": r["subject"]["name"],  # type: ignore[index]
                 "profiles": ",".join(p["profile"] for p in r["profiles"])} for r in runs]  # type: ignore[attr-defined]
        if c.json:
            emit_json({"runs": rows})
        else:
            print_table([Column(k, k, itemgetter(k)) for k in ("id", "time", "subject", "profiles")], rows,
                        empty="no saved runs (isc bench TARGET)")
        return 0
    if not ids:
        from iscsi_client.ops.bench_runs import last_two

        runs = last_two(runs)
    table, changes = compare_runs(runs)
    names = [str(r["id"]) for r in runs]
    if c.json:
        emit_json({"compare": {"runs": names, "tuning_changes": changes,
                               "rows": [{"profile": r.profile, "figure": r.figure, "values": list(r.values),
                                         "change_percent": r.change_percent, "better": r.better}
                                        for r in table]}})
        return 0
    cols = [Column("profile", "profile", lambda r: r.profile), Column("figure", "figure", lambda r: r.figure)]
    cols += [Column(n, n, _nth(i)) for i, n in enumerate(names)]
    cols.append(Column("change", "change", lambda r: "-" if r.change_percent is None else
                       f"{r.change_percent:+.1f}%" + {True: " better", False: " worse", None: ""}[r.better]))
    print_table(cols, table)
    for line in changes:
        say(f"tuning: {line}")
    if sys.stdout.isatty():
        _plot(runs)
    return 0


def _nth(i: int) -> Callable[[Any], object]:
    def get(row: Any) -> object:
        value = row.values[i]
        if row.unit == "B/s":
            return _mib(value)
        return _num(value, "" if row.unit == "IOPS" else f" {row.unit}")
    return get


def _plot(runs: list[dict[str, Any]]) -> None:
    """Bars per profile, one per run: bandwidth for the sequential profiles, IOPS for the random ones."""
    width = 40
    for name in PROFILE_NAMES:
        field = "bw_bytes_per_second" if name.startswith("seq") else "iops"
        values = [next((p.get(field) for p in r["profiles"] if p["profile"] == name), None) for r in runs]
        known = [v for v in values if isinstance(v, int | float)]
        if not known:
            continue
        top = max(known) or 1
        say(f"{name} ({'bandwidth' if field.startswith('bw') else 'IOPS'})")
        for r, v in zip(runs, values, strict=True):
            if isinstance(v, int | float):
                label = _mib(v) if field.startswith("bw") else _num(v)
                say(f"  {r['id']:<20} {'█' * max(1, round(v / top * width)):<{width}} {label}")
