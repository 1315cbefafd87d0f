"""The kernel's view of iSCSI sessions, read from sysfs under the root (no iscsiadm call per session).

/sys/class/iscsi_session/sessionN/{targetname,tpgt,state,recovery_tmo,ifacename,initiatorname}
/sys/class/iscsi_connection/connectionN:0/{persistent_address,persistent_port,address,port,state}
The session's device path (.../hostH/sessionN/iscsi_session/sessionN) gives the SCSI host.
Never reads the password attributes the kernel also exposes there.
"""

from __future__ import annotations

import os
import re

from iscsi_client.errors import UsageError
from iscsi_client.model import Iqn, Portal, Session
from iscsi_client.system.root import Root

SESSION_CLASS = "/sys/class/iscsi_session"
CONNECTION_CLASS = "/sys/class/iscsi_connection"


def _attr(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            value = fh.read().decode(errors="replace").strip()
    except OSError:
        return None
    return value if value and value != "(null)" else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.lstrip("-").isdigit() else None


def read_sessions(root: Root) -> list[Session]:
    base = root.str(SESSION_CLASS)
    try:
        names = os.listdir(base)
    except OSError:
        return []
    out: list[Session] = []
    for name in names:
        m = re.fullmatch(r"session(\d+)", name)
        if not m:
            continue
        sid = int(m.group(1))
        session = _read_one(root, name, sid)
        if session is not None:
            out.append(session)
    return sorted(out, key=lambda s: s.sid)


def _read_one(root: Root, entry_name: str, sid: int) -> Session | None:
    real = root.realpath(f"{SESSION_CLASS}/{entry_name}")
    entry = root.str(real)
    name = _attr(f"{entry}/targetname")
    try:
        target = Iqn.parse(name or "")
    except UsageError:
        return None
    conn = root.str(f"{CONNECTION_CLASS}/connection{sid}:0")
    host = _attr(f"{conn}/persistent_address") or _attr(f"{conn}/address") or ""
    port = _int(_attr(f"{conn}/persistent_port") or _attr(f"{conn}/port")) or 3260
    tpgt = _int(_attr(f"{entry}/tpgt"))
    try:
        portal = Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except UsageError:
        portal = Portal("unknown", port)
    hm = re.search(r"/host(\d+)/session\d+", real)
    return Session(
        sid=sid,
        target=target,
        portal=Portal(portal.host, portal.port, tpgt),
        iface=_attr(f"{entry}/ifacename") or "default",
        state=_attr(f"{entry}/state"),
        connection_state=_attr(f"{conn}/state"),
        initiator=_attr(f"{entry}/initiatorname"),
        recovery_tmo=_int(_attr(f"{entry}/recovery_tmo")),
        host=int(hm.group(1)) if hm else None,
    )
