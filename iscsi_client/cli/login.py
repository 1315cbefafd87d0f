"""isc login / isc logout."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers, login_run
from iscsi_client.cli.context import get
from iscsi_client.cli.options import NoWaitOpt, ParallelOpt, PortalOpt, SidsOpt, WaitTimeoutOpt
from iscsi_client.fanout import IN_FLIGHT


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
    return login_run.login(get(ctx), target=target, portal=portal, all_nodes=all_nodes, iface=iface, no_wait=no_wait,
                           wait_timeout=wait_timeout, parallel=parallel, firmware=firmware)


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
                                  help="Release the disks first: unmount (with --unmount), flush maps, flush buffers."),
    unmount: bool = typer.Option(False, "--unmount", help="With --teardown: unmount the LUNs' filesystems."),
    force: bool = typer.Option(False, "--force",
                               help="Also the boot firmware's (iBFT) sessions: a host booted from one loses its "
                                    "disk."),
) -> int:
    """Log out (idempotent: no session is success). Refused while a disk is mounted, open or held, unless
    --teardown; afterwards node.startup is set to manual so the next boot does not log in again."""
    return login_run.logout(get(ctx), target=target, portal=portal, all_sessions=all_sessions,
                            sids=tuple(sids or ()), iface=iface, teardown=teardown, unmount=unmount, force=force)
