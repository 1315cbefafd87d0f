"""isc sessions: what the kernel has logged in."""

from __future__ import annotations

import typer

from iscsi_client.cli.context import get
from iscsi_client.cli.options import SidsOpt
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
VIEW_COLUMNS = [
    *(Column(c.key, c.header, (lambda g: lambda v: g(v.session))(c.get), c.table) for c in SESSION_COLUMNS),
    Column("devices", "devices", lambda v: [lun.disk.devnode for lun in v.luns if lun.disk]),
]


def sessions_cmd(
    ctx: typer.Context,
    sids: SidsOpt = None,
) -> None:
    """List active sessions and their block devices (read from sysfs, no iscsiadm call).
    Exit status 3 when a session asked for with --sid does not exist."""
    from iscsi_client.ops.status import status

    c = get(ctx)
    rows = status(root=c.root, sids=tuple(sids or ()))
    if c.json:
        emit_json({"sessions": rows_as_dicts(VIEW_COLUMNS, rows)})
    else:
        print_table(VIEW_COLUMNS, rows, empty="no active sessions")
