"""isc sessions: what the kernel has logged in."""

from __future__ import annotations

import typer

from iscsi_client.cli import readers
from iscsi_client.cli.context import get
from iscsi_client.cli.options import SidsOpt


def sessions_cmd(
    ctx: typer.Context,
    sids: SidsOpt = None,
    show_details: bool = typer.Option(False, "--details", "-d",
                                      help="Each session's negotiated login parameters, as iscsiadm -P 2 names them."),
) -> int:
    """List active sessions, their local address and block devices (read from sysfs, no iscsiadm call).
    Exit status 3 when a session asked for with --sid does not exist."""
    return readers.sessions(get(ctx), sids=tuple(sids or ()), show_details=show_details)
