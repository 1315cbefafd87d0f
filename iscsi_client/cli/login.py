"""isc login / isc logout."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.options import NoWaitOpt, ParallelOpt, PortalOpt, SidsOpt, WaitTimeoutOpt
from iscsi_client.cli.outcomes import render_outcomes
from iscsi_client.cli.progress import progress_display
from iscsi_client.fanout import IN_FLIGHT
from iscsi_client.ops.outcome import Outcome
from iscsi_client.output import note


def login_cmd(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Target IQN (all its portals unless -p).",
                                        autocompletion=completers.targets),
    portal: PortalOpt = None,
    all_nodes: bool = typer.Option(False, "--all", help="Every node record."),
    iface: str | None = typer.Option(None, "--iface", "-I", autocompletion=completers.iface_names,
                                     help="Only the records of this iface (one NIC of several)."),
    no_wait: NoWaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 30.0,
    parallel: ParallelOpt = IN_FLIGHT,
    firmware: bool = typer.Option(False, "--firmware",
                                  help="The boot firmware's (iBFT) targets, as it logged in to them (iscsiadm -m "
                                       "fw -l); its NIC is brought up with the firmware's address first."),
) -> int:
    """Log in (idempotent: existing sessions are left alone), several records at once. Non-zero exit if any
    portal failed."""
    from iscsi_client.ops.login import login

    c = get(ctx)
    if firmware:
        from iscsi_client.errors import UsageError
        from iscsi_client.ops.firmware import login_firmware

        if target or portal or all_nodes or iface:
            raise UsageError("--firmware logs in to the firmware's own targets",
                             hint="leave out the target, -p, -I and --all")
        with progress_display(enabled=not c.json) as progress:
            outcomes = login_firmware(root=c.root, adm=c.iscsiadm(), cmd=c.commands(), wait=not no_wait,
                                      wait_timeout=wait_timeout, progress=progress)
        return _report(outcomes, json_out=c.json, key="logins")
    with progress_display(enabled=not c.json) as progress:
        outcomes = login(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                         all_nodes=all_nodes, wait=not no_wait, wait_timeout=wait_timeout, progress=progress,
                         iface=iface, cmd=c.commands(), parallel=parallel)
    return _report(outcomes, json_out=c.json, key="logins")


def _report(outcomes: list[Outcome], *, json_out: bool, key: str) -> int:
    """The steps taken (once each), then the outcome per portal."""
    if not json_out:
        for step in dict.fromkeys(s for o in outcomes for s in o.steps):
            note(step)
    return render_outcomes(outcomes, json_out=json_out, key=key)


def logout_cmd(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Target IQN (all its sessions unless -p).",
                                        autocompletion=completers.session_targets),
    portal: PortalOpt = None,
    all_sessions: bool = typer.Option(False, "--all", help="Every session."),
    sids: SidsOpt = None,
    iface: str | None = typer.Option(None, "--iface", "-I", autocompletion=completers.iface_names,
                                     help="Only the sessions through this iface."),
    teardown: bool = typer.Option(False, "--teardown",
                                  help="Release the disks first: flush maps, flush buffers, delete SCSI devices."),
    unmount: bool = typer.Option(False, "--unmount", help="With --teardown: unmount the LUNs' filesystems."),
    force: bool = typer.Option(False, "--force",
                               help="Also the boot firmware's (iBFT) sessions: a host booted from one loses its "
                                    "disk."),
) -> int:
    """Log out (idempotent: no session is success). Refused while a disk is mounted, open or held, unless
    --teardown; afterwards node.startup is set to manual so the next boot does not log in again."""
    from iscsi_client.ops.login import logout

    c = get(ctx)
    outcomes = logout(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                      all_sessions=all_sessions, teardown=teardown, unmount=unmount, cmd=c.commands(),
                      sids=tuple(sids or ()), iface=iface, force=force)
    return _report(outcomes, json_out=c.json, key="logouts")
