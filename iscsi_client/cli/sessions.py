"""isc sessions: what the kernel has logged in."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import typer

from iscsi_client.cli.context import get
from iscsi_client.cli.options import SidsOpt
from iscsi_client.output import Column, emit_json, print_table, rows_as_dicts, say

if TYPE_CHECKING:
    from iscsi_client.model import Negotiated, SessionView


class Row(NamedTuple):
    view: SessionView
    neg: Negotiated


# (JSON key, iSCSI key name as RFC 7143 and iscsiadm -P 2 spell it)
NEGOTIATED = [
    ("header_digest", "HeaderDigest"), ("data_digest", "DataDigest"),
    ("max_recv_data_segment_length", "MaxRecvDataSegmentLength"),
    ("max_xmit_data_segment_length", "MaxXmitDataSegmentLength"),
    ("first_burst_length", "FirstBurstLength"), ("max_burst_length", "MaxBurstLength"),
    ("immediate_data", "ImmediateData"), ("initial_r2t", "InitialR2T"), ("max_outstanding_r2t", "MaxOutstandingR2T"),
]

COLUMNS = [
    Column("sid", "sid", lambda r: r.view.session.sid),
    Column("target", "target", lambda r: str(r.view.session.target)),
    Column("portal", "portal", lambda r: r.view.session.portal.address),
    Column("tpgt", "tpgt", lambda r: r.view.session.portal.tpgt, table=False),
    Column("iface", "iface", lambda r: r.view.session.iface),
    Column("local_address", "local", lambda r: r.neg.local_address),
    Column("local_port", "local port", lambda r: r.neg.local_port, table=False),
    Column("state", "state", lambda r: r.view.session.state),
    Column("connection_state", "connection", lambda r: r.view.session.connection_state, table=False),
    Column("recovery_tmo", "recovery tmo", lambda r: r.view.session.recovery_tmo, table=False),
    Column("host", "host", lambda r: r.view.session.host, table=False),
    Column("chap_user", "chap user", lambda r: r.neg.chap_user, table=False),
    Column("negotiated", "negotiated", lambda r: {k: getattr(r.neg, k) for k, _ in NEGOTIATED}, table=False),
    Column("devices", "devices", lambda r: [lun.disk.devnode for lun in r.view.luns if lun.disk]),
]


def _value(v: object) -> str:
    return "-" if v is None else ("Yes" if v else "No") if isinstance(v, bool) else str(v)


def details(rows: list[Row]) -> str:
    """One block per session, the parameters under their iSCSI names (what iscsiadm -m session -P 2 shows)."""
    out: list[str] = []
    for r in rows:
        s, n = r.view.session, r.neg
        local = f"{n.local_address}:{n.local_port}" if n.local_address and n.local_port else n.local_address
        out += [f"session {s.sid}: {s.target} on {s.portal}",
                f"  iface: {s.iface}, local address {_value(local)}",
                f"  state: {_value(s.state)}, connection {_value(s.connection_state)}, "
                f"recovery_tmo {_value(s.recovery_tmo)}",
                f"  CHAP user: {_value(n.chap_user)}"]
        out += [f"  {name}: {_value(getattr(n, key))}" for key, name in NEGOTIATED]
        devices = [lun.disk.devnode for lun in r.view.luns if lun.disk]
        out += [f"  devices: {' '.join(devices) or '-'}", ""]
    return "\n".join(out).rstrip("\n")


def sessions_cmd(
    ctx: typer.Context,
    sids: SidsOpt = None,
    show_details: bool = typer.Option(False, "--details", "-d",
                                      help="Each session's negotiated login parameters, as iscsiadm -P 2 names them."),
) -> None:
    """List active sessions, their local address and block devices (read from sysfs, no iscsiadm call).
    Exit status 3 when a session asked for with --sid does not exist."""
    from iscsi_client.ops.status import negotiated, status

    c = get(ctx)
    views = status(root=c.root, sids=tuple(sids or ()))
    neg = negotiated(root=c.root, sessions=[v.session for v in views])
    rows = [Row(v, neg[v.session.sid]) for v in views]
    if c.json:
        emit_json({"sessions": rows_as_dicts(COLUMNS, rows)})
    elif show_details:
        say(details(rows) if rows else "no active sessions")
    else:
        print_table(COLUMNS, rows, empty="no active sessions")
