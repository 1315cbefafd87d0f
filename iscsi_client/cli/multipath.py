"""isc multipath: write a correct configuration for the targets in use; show maps and path health."""

from __future__ import annotations

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import Column, emit_json, note, print_table, say

app = typer.Typer(help="Multipath for iSCSI LUNs: configuration and path health.", no_args_is_help=True)


@app.command("config")
def config_cmd(ctx: typer.Context,
               write: bool = typer.Option(False, "--write", help="Write it, register the LUNs, reconfigure.")) -> int:
    """Show (or --write) the multipath configuration for the iSCSI LUNs in use, as a diff."""
    from iscsi_client.ops.multipath_config import apply, plan

    c = get(ctx)
    cmd = c.commands()
    p = plan(root=c.root, cmd=cmd)
    if write:
        p = apply(root=c.root, cmd=cmd, p=p)
    if c.json:
        emit_json({"multipath_config": {
            "path": p.path, "changed": p.changed, "written": p.written, "backup": p.backup, "content": p.new,
            "diff": p.diff, "vendors": p.vendors, "builtin_vendors": p.builtin,
            "blacklist": [{"device": d, "wwid": w} for d, w in p.blacklisted],
            "luns": [{"wwid": w, "device": d, "registered": w not in p.unregistered} for w, d in p.lun_wwids.items()],
            "maps_after": p.maps_after}})
        return 0
    if p.changed:
        say(p.diff.rstrip("\n"))
    else:
        say(f"{p.path} is up to date")
    for w in p.unregistered:
        say(f"{'' if write and not c.dry_run else 'would '}register WWID {w} ({p.lun_wwids[w]}) "
            "so that find_multipaths strict makes it a map")
    if not p.lun_wwids:
        note("no iSCSI LUN with several paths is logged in: there is nothing to register now; once this drop-in "
             "is installed, isc login registers such LUNs itself")
    if not write:
        note("nothing written; run with --write to apply")
        return 0
    if p.written:
        say(f"wrote {p.path}" + (f" (backup {p.backup})" if p.backup else ""))
    missing = [w for w in p.lun_wwids if p.maps_after and w not in p.maps_after]
    for w in p.maps_after:
        say(f"map {w}: present")
    if missing and not c.dry_run:
        note(f"warning: no map yet for {', '.join(missing)}; see 'isc multipath status' and 'multipath -v3'")
        return 1
    return 0


PATH_COLUMNS = [
    Column("map", "map", lambda r: r[0].name),
    Column("dm", "dm", lambda r: r[0].dm),
    Column("vendor", "vendor", lambda r: f"{r[0].vendor},{r[0].product}"),
    Column("queueing", "no_path_retry", lambda r: r[0].queueing),
    Column("group", "group", lambda r: f"{r[1].number} ({r[1].state}, prio {r[1].priority})"),
    Column("path", "path", lambda r: r[2].dev),
    Column("dm_state", "dm state", lambda r: r[2].dm_state),
    Column("checker", "checker", lambda r: r[2].checker_state),
    Column("device_state", "device", lambda r: r[2].dev_state),
]


@app.command("status")
def status_cmd(ctx: typer.Context) -> int:
    """Maps, path groups and paths with their state (from multipathd)."""
    from iscsi_client.system.multipath import show_maps

    c = get(ctx)
    c.root.require_live("multipath status (it asks multipathd)")
    maps = show_maps(c.commands())
    if c.json:
        emit_json({"maps": [{
            "name": m.name, "wwid": m.wwid, "dm": m.dm, "vendor": m.vendor, "product": m.product,
            "features": m.features, "hwhandler": m.hwhandler, "queueing": m.queueing,
            "queue_if_no_path": m.queue_if_no_path,
            "path_groups": [{"group": g.number, "state": g.state, "priority": g.priority, "selector": g.selector,
                             "paths": [{"dev": p.dev, "dev_t": p.dev_t, "dm_state": p.dm_state,
                                        "checker_state": p.checker_state, "dev_state": p.dev_state,
                                        "healthy": p.healthy} for p in g.paths]} for g in m.path_groups]}
            for m in maps]})
        return 0
    rows = [(m, g, p) for m in maps for g in m.path_groups for p in g.paths]
    print_table(PATH_COLUMNS, rows, empty="no multipath maps")
    return 0 if all(p.healthy for _, _, p in rows) else 1
