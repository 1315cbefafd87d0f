"""What login and logout do once their words are parsed: the use case with a progress line, then each step
once and the outcome per portal. Neither click nor typer is imported here: cli/direct.py runs these
commands without the framework (dozens of records, scripts, the lab's many runs), and their typer commands
(cli/login.py) call the same functions."""

from __future__ import annotations

from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import Ctx
from iscsi_client.cli.outcomes import render_outcomes
from iscsi_client.cli.progress import progress_display
from iscsi_client.fanout import IN_FLIGHT
from iscsi_client.ops.outcome import Outcome
from iscsi_client.output import note


def login(c: Ctx, target: str | None = None, portal: str | None = None, all_nodes: bool = False,
          iface: str | None = None, no_wait: bool = False, wait_timeout: float = 30.0, parallel: int = IN_FLIGHT,
          firmware: bool = False) -> int:
    """isc login: every portal of the target (or the records asked for), the devices waited for."""
    from iscsi_client.ops.login import login as log_in

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
        outcomes = log_in(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                         all_nodes=all_nodes, wait=not no_wait, wait_timeout=wait_timeout, progress=progress,
                         iface=iface, cmd=c.commands(), parallel=parallel)
    return _report(outcomes, json_out=c.json, key="logins")


def _report(outcomes: list[Outcome], *, json_out: bool, key: str) -> int:
    """The steps taken (once each), then the outcome per portal."""
    if not json_out:
        for step in dict.fromkeys(s for o in outcomes for s in o.steps):
            note(step)
    return render_outcomes(outcomes, json_out=json_out, key=key)


def logout(c: Ctx, target: str | None = None, portal: str | None = None, all_sessions: bool = False,
           sids: tuple[int, ...] = (), iface: str | None = None, teardown: bool = False, unmount: bool = False,
           force: bool = False) -> int:
    """isc logout: the sessions asked for, their disks released first with teardown."""
    from iscsi_client.ops.logout import logout as log_out

    outcomes = log_out(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                      all_sessions=all_sessions, teardown=teardown, unmount=unmount, cmd=c.commands(),
                      sids=sids, iface=iface, force=force)
    return _report(outcomes, json_out=c.json, key="logouts")
