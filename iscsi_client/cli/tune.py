"""isc tune: each setting that matters for a target, in its records and live, a profile's or --set's
proposal and why; writes it (one iscsiadm exec), and with --relogin rolls it onto live sessions path by path."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import target_arg
from iscsi_client.cli.context import Ctx, get
from iscsi_client.output import Column, emit_json, note, print_table, rows_as_dicts, say

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.ops.tune import TuneView

ROW_COLUMNS = [
    Column("name", "setting", lambda r: r.name),
    Column("setting", "record setting", lambda r: r.setting, table=False),
    Column("record", "record", lambda r: r.record),
    Column("live", "live", lambda r: r.live),
    Column("proposed", "proposed", lambda r: r.proposed if r.proposed is not None else ""),
    Column("changes", "changes", lambda r: r.changes, table=False),
    Column("why", "why", lambda r: r.why or r.about),
]


def tune_cmd(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
    profile: str | None = typer.Option(None, "--profile", "-p", metavar="multipath|throughput|defaults",
                                       autocompletion=completers.tuning_profiles,
                                       help="Propose a profile's values: multipath (fast failover), throughput "
                                            "(queue depth, commands, sessions), defaults (iscsid.conf's)."),
    sets: list[str] = typer.Option([], "--set", "-s", metavar="NAME=VALUE",
                                   help="One value (repeatable), range-checked: cmds_max=256, queue_depth=64, "
                                        "nr_sessions=2, replacement_timeout=5, ... (wins over the profile)."),
    relogin: bool = typer.Option(False, "--relogin", help="Apply to live sessions: log each path out and in "
                                                           "again, one at a time, waiting for the map each time."),
    disruptive: bool = typer.Option(False, "--disruptive", help="With --relogin: also re-login a LUN that has "
                                                                "only one path (its disk goes away meanwhile)."),
    wait_timeout: float = typer.Option(60.0, "--wait-timeout", metavar="SECONDS",
                                       help="With --relogin: how long to wait for each path's devices and map."),
) -> int:
    """Show and change the settings that decide failover and throughput for a target.

    Without --profile or --set it only shows them: each record value, the value the kernel uses now
    (sysfs), and the map's and the NIC's. With them it writes the records (every record of the target,
    one iscsiadm exec, --dry-run shows it). Live sessions keep their values until their next login:
    --relogin rolls the change onto them one path at a time, so I/O on a multipath map never stops.
    """
    from iscsi_client.ops.tune import tune_view, write_proposals

    c = get(ctx)
    t = target_arg(target)
    assert t is not None
    if disruptive and not relogin:
        from iscsi_client.errors import UsageError

        raise UsageError("--disruptive goes with --relogin")
    view = tune_view(root=c.root, cmd=c.commands(), target=t, profile=profile, sets=sets)
    if relogin:
        return _relogin(c, view, disruptive=disruptive, wait_timeout=wait_timeout)
    result = write_proposals(root=c.root, adm=c.iscsiadm(), view=view) if (profile or sets) else None
    written = dict(result.written) if result else {}
    if c.json:
        emit_json({"tune": {"target": str(t), "profile": profile, "dry_run": c.dry_run, "changed": bool(written)
                            and not c.dry_run, "settings": written,
                            "records_changed": len(result.settings.changed) if result and result.settings else 0,
                            "sessions_keep_old_values": bool(result and result.settings and result.settings.in_session),
                            "rows": rows_as_dicts(ROW_COLUMNS, view.rows), "notes": list(view.notes)}})
        return 0
    print_table(ROW_COLUMNS, view.rows, title=f"{t}" + (f" (profile {profile})" if profile else ""))
    if result is None:
        if any(r.proposed for r in view.rows):
            return 0
        say(f"propose values: isc tune {t} --profile multipath|throughput|defaults, or --set NAME=VALUE")
        return 0
    if not written:
        say("the records already hold these values (unchanged)")
    else:
        verb = "would set" if c.dry_run else "set"
        n = len(result.settings.changed) if result.settings else 0
        say(f"{verb} {', '.join(f'{k} = {v}' for k, v in written.items())} on {n} record(s)")
    for line in view.notes:
        note(line)
    return 0


def _relogin(c: Ctx, view: TuneView, *, disruptive: bool, wait_timeout: float) -> int:
    from iscsi_client.cli.plan_render import invoked_as, plan_engine, render_plan
    from iscsi_client.cli.progress import progress_display
    from iscsi_client.ops.plan import PlanFailed
    from iscsi_client.ops.tune_relogin import relogin

    extra: dict[str, object] = {"tune": {"target": str(view.target), "profile": view.profile,
                      "rows": rows_as_dicts(ROW_COLUMNS, view.rows)}}
    with progress_display(enabled=not c.json) as progress:
        try:
            report = relogin(root=c.root, engine=plan_engine(c), view=view, disruptive=disruptive,
                             dry_run=c.dry_run, timeout=wait_timeout, command=invoked_as(), progress=progress)
        except PlanFailed as failed:
            return render_plan(failed.report, json_out=c.json, extra=extra, failure=failed)
    return render_plan(report, json_out=c.json, extra=extra)
