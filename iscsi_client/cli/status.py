"""isc status: target -> session/portal -> LUN -> device -> map -> mount, as a tree or JSON."""

from __future__ import annotations

import typer

from iscsi_client.cli import readers
from iscsi_client.cli.context import get


def status_cmd(ctx: typer.Context) -> int:
    """Show every iSCSI session with its LUNs, block devices, multipath maps and mounts.

    Exit 1 when a session is not logged in (the kernel is reconnecting) or a LUN is not running or gone."""
    return readers.status(get(ctx))
