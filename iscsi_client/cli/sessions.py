"""isc sessions: what the kernel has logged in."""

from __future__ import annotations

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import Column, emit_json, print_table, rows_as_dicts

SESSION_COLUMNS = [
    Column("sid", "sid", lambda s: s.sid),
    Column("target", "target", lambda s: str(s.target)),
    Column("portal", "portal", lambda s: s.portal.address),
    Column("tpgt", "tpgt", lambda s: s.portal.tpgt, table=False),
    Column("iface", "iface", lambda s: s.iface),
    Column("state", "state", lambda s: s.state),
    Column("connection_state", "connection", lambda s: s.connection_state, table=False),
    Column("recovery_tmo", "recovery tmo", lambda s: s.recovery_tmo, table=False),
    Column("host", "host", lambda s: s.host, table=False),
]


def sessions_cmd(ctx: typer.Context) -> None:
    """List active sessions (read from sysfs, no iscsiadm call)."""
    from iscsi_client.ops.login import list_sessions

    c = get(ctx)
    rows = list_sessions(root=c.root)
    if c.json:
        emit_json({"sessions": rows_as_dicts(SESSION_COLUMNS, rows)})
    else:
        print_table(SESSION_COLUMNS, rows, empty="no active sessions")
