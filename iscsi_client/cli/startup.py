"""isc startup: log in at boot (automatic) or not (manual)."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.options import PortalOpt
from iscsi_client.output import emit_json, say


def startup_cmd(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
    mode: str = typer.Argument(..., help="automatic | manual | onboot", autocompletion=completers.startup_modes),
    portal: PortalOpt = None,
) -> None:
    """Set node.startup and node.conn[0].startup together."""
    from iscsi_client.errors import UsageError
    from iscsi_client.ops.startup import set_startup
    from iscsi_client.startup_mode import Startup

    c = get(ctx)
    try:
        wanted = Startup(mode)
    except ValueError:
        raise UsageError(f"startup mode {mode!r} is not one of automatic, manual, onboot") from None
    t = target_arg(target)
    assert t is not None
    changed, same = set_startup(root=c.root, adm=c.iscsiadm(), target=t, portal=portal_arg(portal), mode=wanted)
    if c.json:
        emit_json({"startup": [{"target": str(n.target), "portal": n.portal.address, "startup": wanted.value,
                                "changed": n in changed, "dry_run": c.dry_run} for n in changed + same]})
        return
    for n in changed:
        say(f"{'would set' if c.dry_run else 'set'} startup {wanted.value} on {n.target} {n.portal.address}")
    for n in same:
        say(f"{n.target} {n.portal.address} already {wanted.value}")
