"""isc doctor: the whole checklist, each finding with its fix; isc doctor explain CODE."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers, readers
from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, say

app = typer.Typer(help="Diagnose this host's iSCSI setup.", invoke_without_command=True)


@app.callback()
def doctor_cmd(ctx: typer.Context,
               no_mtu: bool = typer.Option(False, "--no-mtu", help="Skip the ping probes.")) -> int | None:
    """Check iscsid, boot services, initiator name, MTU, paths, timeouts, fstab and CHAP. Exit 1 on any failure."""
    if ctx.invoked_subcommand is not None:
        return None
    raise typer.Exit(readers.doctor(get(ctx), no_mtu=no_mtu))


@app.command("explain")
def explain_cmd(ctx: typer.Context, code: str = typer.Argument(..., help="A check code, e.g. ISC040.",
                                                autocompletion=completers.doctor_codes)) -> None:
    """Explain one check."""
    from iscsi_client.errors import NotFoundError
    from iscsi_client.ops.doctor_checks import CHECKS, explain

    check = explain(code)
    if check is None:
        raise NotFoundError(f"no check {code}", hint="codes: " + ", ".join(c.code for c in CHECKS))
    if get(ctx).json:
        emit_json({"check": {"code": check.code, "title": check.title, "explanation": check.explanation}})
    else:
        say(f"{check.code}: {check.title}\n\n{check.explanation}")
