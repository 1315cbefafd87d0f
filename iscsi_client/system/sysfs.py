"""The kernel's view of iSCSI sessions, read from sysfs under the root (no iscsiadm call per session).

/sys/class/iscsi_session/sessionN/{targetname,tpgt,state,recovery_tmo,ifacename,initiatorname}
/sys/class/iscsi_connection/connectionN:0/{persistent_address,persistent_port,address,port,state}
The session's device path (.../hostH/sessionN/iscsi_session/sessionN) gives the SCSI host.
Never reads the password attributes the kernel also exposes there.
"""

from __future__ import annotations

import re
from pathlib import Path

from iscsi_client.errors import UsageError
from iscsi_client.model import Iqn, Portal, Session
from iscsi_client.system.root import Root

SESSION_CLASS = "/sys/class/iscsi_session"
CONNECTION_CLASS = "/sys/class/iscsi_connection"
TRANSPORT_CLASS = "/sys/class/iscsi_transport"


def _attr(path: Path) -> str | None:
    try:
        value = path.read_text(errors="replace").strip()
    except OSError:
        return None
    return value if value and value != "(null)" else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def read_sessions(root: Root) -> list[Session]:
    base = root(SESSION_CLASS)
    if not base.is_dir():
        return []
    out: list[Session] = []
    for entry in base.iterdir():
        m = re.fullmatch(r"session(\d+)", entry.name)
        if not m:
            continue
        sid = int(m.group(1))
        session = _read_one(root, entry, sid)
        if session is not None:
            out.append(session)
    return sorted(out, key=lambda s: s.sid)


def _read_one(root: Root, entry: Path, sid: int) -> Session | None:
    name = _attr(entry / "targetname")
    try:
        target = Iqn.parse(name or "")
    except UsageError:
        return None
    conn = root(CONNECTION_CLASS) / f"connection{sid}:0"
    host = _attr(conn / "persistent_address") or _attr(conn / "address") or ""
    port = _int(_attr(conn / "persistent_port") or _attr(conn / "port")) or 3260
    tpgt = _int(_attr(entry / "tpgt"))
    try:
        portal = Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except UsageError:
        portal = Portal("unknown", port)
    real = root.realpath(f"{SESSION_CLASS}/{entry.name}")
    hm = re.search(r"/host(\d+)/session\d+", real)
    return Session(
        sid=sid,
        target=target,
        portal=Portal(portal.host, portal.port, tpgt),
        iface=_attr(entry / "ifacename") or "default",
        state=_attr(entry / "state"),
        connection_state=_attr(conn / "state"),
        initiator=_attr(entry / "initiatorname"),
        recovery_tmo=_int(_attr(entry / "recovery_tmo")),
        host=int(hm.group(1)) if hm else None,
    )


def transports(root: Root) -> list[str]:
    base = root(TRANSPORT_CLASS)
    return sorted(p.name for p in base.iterdir()) if base.is_dir() else []
