"""isc multipath: write a correct configuration for the targets in use; show maps and path health."""

from __future__ import annotations

import typer

from iscsi_client.cli import readers
from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, note, say

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


@app.command("status")
def status_cmd(ctx: typer.Context) -> int:
    """Maps, path groups and paths with their state (from multipathd)."""
    return readers.multipath_status(get(ctx))
