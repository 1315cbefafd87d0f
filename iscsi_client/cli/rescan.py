"""isc rescan."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.options import NoWaitOpt, PortalOpt, SidsOpt, WaitTimeoutOpt
from iscsi_client.cli.outcomes import render_outcomes
from iscsi_client.cli.progress import progress_display
from iscsi_client.output import note


def rescan_cmd(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Target IQN (every session when omitted).",
                                        autocompletion=completers.session_targets),
    portal: PortalOpt = None,
    sids: SidsOpt = None,
    no_wait: NoWaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 30.0,
) -> int:
    """Scan sessions for new and grown LUNs (iscsiadm -m session -r SID --rescan), then wait for the
    new block devices. For LUNs added or grown on the target, and records with node.session.scan = manual.
    A grown LUN's multipath map is resized; the command that grows its filesystem is shown."""
    from iscsi_client.ops.rescan import rescan

    c = get(ctx)
    with progress_display(enabled=not c.json) as progress:
        outcomes = rescan(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                          sids=tuple(sids or ()), wait=not no_wait, wait_timeout=wait_timeout, progress=progress,
                          cmd=c.commands())
    if not c.json:
        for step in dict.fromkeys(s for o in outcomes for s in o.steps):
            note(step)
    return render_outcomes(outcomes, json_out=c.json, key="rescans")
