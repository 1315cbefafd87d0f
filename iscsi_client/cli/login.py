"""isc login / isc logout."""

from __future__ import annotations

import typer

from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.outcomes import render_outcomes


def login_cmd(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Target IQN (all its portals unless -p)."),
    portal: str | None = typer.Option(None, "--portal", "-p", help="Only this portal."),
    all_nodes: bool = typer.Option(False, "--all", help="Every node record."),
) -> int:
    """Log in (idempotent: existing sessions are left alone). Non-zero exit if any portal failed."""
    from iscsi_client.ops.login import login

    c = get(ctx)
    outcomes = login(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                     all_nodes=all_nodes)
    return render_outcomes(outcomes, json_out=c.json, key="logins")


def logout_cmd(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Target IQN (all its sessions unless -p)."),
    portal: str | None = typer.Option(None, "--portal", "-p", help="Only this portal."),
    all_sessions: bool = typer.Option(False, "--all", help="Every session."),
) -> int:
    """Log out (idempotent: no session is success)."""
    from iscsi_client.ops.login import logout

    c = get(ctx)
    outcomes = logout(root=c.root, adm=c.iscsiadm(), target=target_arg(target), portal=portal_arg(portal),
                      all_sessions=all_sessions)
    return render_outcomes(outcomes, json_out=c.json, key="logouts")
