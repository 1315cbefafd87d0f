"""The kernel's view of iSCSI sessions, read from sysfs under the root (no iscsiadm call per session).

/sys/class/iscsi_session/sessionN/{targetname,tpgt,state,recovery_tmo,ifacename,initiatorname}
/sys/class/iscsi_connection/connectionN:0/{persistent_address,persistent_port,address,port,state}
The session's device path (.../hostH/sessionN/iscsi_session/sessionN) gives the SCSI host.
negotiated(): the login's parameters (connection and session attributes) and the local address
(/sys/class/iscsi_host/hostH/ipaddress, which iscsi_tcp fills from the connection's socket).
Never reads the password attributes the kernel also exposes there.
"""

from __future__ import annotations

import os

from iscsi_client.errors import UsageError
from iscsi_client.kernel_model import Negotiated, Session
from iscsi_client.model import Iqn, Portal
from iscsi_client.system.files import read_bytes
from iscsi_client.system.root import Root

SESSION_CLASS = "/sys/class/iscsi_session"
CONNECTION_CLASS = "/sys/class/iscsi_connection"
HOST_CLASS = "/sys/class/iscsi_host"


def read_file(path: str | os.PathLike[str]) -> str | None:
    """A sysfs attribute, a udev database file or a /proc file, whole, as stripped text; None when it cannot be
    read (files.read_bytes: every read to the end, as a /proc seq_file needs)."""
    try:
        return read_bytes(path).decode(errors="replace").strip()
    except OSError:  # gone, a directory, a device gone while being read
        return None


def read_attr(path: str | os.PathLike[str]) -> str | None:
    """A sysfs attribute (or a small regular file: a udev database record, /proc/PID/comm) as read_file gives
    it, in three system calls: the read that would find the end is left out (some 1,400 of them in status
    with 64 sessions)."""
    try:
        return read_bytes(path, one_read=True).decode(errors="replace").strip()
    except OSError:
        return None


def _attr(path: str) -> str | None:
    value = read_attr(path)
    return value if value and value != "(null)" else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.lstrip("-").isdigit() else None


def read_sessions(root: Root, *, brief: bool = False) -> list[Session]:
    """Every session, by id. ``brief``: only what names and places a session (target, portal address, iface,
    SCSI host), for a logout: state, connection state, initiator name, recovery_tmo and the portal's tpgt stay
    None (a logout selects and reports portals by address). They are five of a session's eleven reads, each
    some 0.2 ms in the TCG lab guest, before a teardown's first exec."""
    base = root.str(SESSION_CLASS)
    try:
        names = os.listdir(base)
    except OSError:
        return []
    out: list[Session] = []
    for name in names:
        number = name[7:] if name.startswith("session") else ""
        if not (number.isascii() and number.isdigit()):
            continue
        sid = int(number)
        session = _read_one(root, name, sid, brief)
        if session is not None:
            out.append(session)
    return sorted(out, key=lambda s: s.sid)


def device_path(root: Root, class_entry: str) -> str:
    """Where a /sys/class/CLASS/NAME link leads in the device tree (a host path), with one readlink: the
    kernel's class links are relative and the directories on the way are no links, so the link's text
    resolves lexically (Root.realpath takes an lstat per component, a dozen per session under /sys/devices).
    On the live host that is the answer; in a tree under --root the place it names must be a directory there.
    Anything else (an absolute link, a snapshot that differs) goes through Root.realpath."""
    try:
        link = os.readlink(root.str(class_entry))
    except OSError:
        return root.realpath(class_entry)
    if not link.startswith("/"):
        found = os.path.normpath(os.path.join(os.path.dirname(class_entry), link))
        if root.is_live or os.path.isdir(root.str(found)):
            return found
    return root.realpath(class_entry)


def _read_one(root: Root, entry_name: str, sid: int, brief: bool) -> Session | None:
    real = device_path(root, f"{SESSION_CLASS}/{entry_name}")
    entry = root.str(real)
    name = _attr(f"{entry}/targetname")
    try:
        target = Iqn.parse(name or "")
    except UsageError:
        return None
    conn = root.str(f"{CONNECTION_CLASS}/connection{sid}:0")
    host = _attr(f"{conn}/persistent_address") or _attr(f"{conn}/address") or ""
    port = _int(_attr(f"{conn}/persistent_port") or _attr(f"{conn}/port")) or 3260
    tpgt = None if brief else _int(_attr(f"{entry}/tpgt"))
    try:
        portal = Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except UsageError:
        portal = Portal("unknown", port)
    return Session(
        sid=sid,
        target=target,
        portal=Portal(portal.host, portal.port, tpgt),
        iface=_attr(f"{entry}/ifacename") or "default",
        state=None if brief else _attr(f"{entry}/state"),
        connection_state=None if brief else _attr(f"{conn}/state"),
        initiator=None if brief else _attr(f"{entry}/initiatorname"),
        recovery_tmo=None if brief else _int(_attr(f"{entry}/recovery_tmo")),
        host=host_number(real),
    )


def host_number(path: str) -> int | None:
    """The SCSI host of a session's device path: N of the first .../hostN/sessionM... in it; None without one.
    By hand: re with enum is some 65 ms of a start in the TCG lab guest, and every command reads sessions."""
    parts = path.split("/")
    for host, session in zip(parts[1:], parts[2:], strict=False):
        number = host[4:]
        if (host.startswith("host") and number.isascii() and number.isdigit() and session.startswith("session")
                and session[7:8].isascii() and session[7:8].isdigit()):
            return int(number)
    return None


_DIGEST = {"0": "None", "1": "CRC32C"}
_YES_NO = {"1": True, "0": False}


def negotiated(root: Root, session: Session) -> Negotiated:
    """What ``iscsiadm -m session -P 2`` calls the negotiated iSCSI params, and the local end of the
    connection; missing attributes (an older kernel, a session going away) stay None."""
    entry = root.str(f"{SESSION_CLASS}/session{session.sid}")
    conn = root.str(f"{CONNECTION_CLASS}/connection{session.sid}:0")
    host = _attr(root.str(f"{HOST_CLASS}/host{session.host}/ipaddress")) if session.host is not None else None
    header, data = _attr(f"{conn}/header_digest"), _attr(f"{conn}/data_digest")
    return Negotiated(
        local_address=host,
        local_port=_int(_attr(f"{conn}/local_port")),
        chap_user=_attr(f"{entry}/username"),
        header_digest=_DIGEST.get(header or "", header),
        data_digest=_DIGEST.get(data or "", data),
        max_recv_data_segment_length=_int(_attr(f"{conn}/max_recv_dlength")),
        max_xmit_data_segment_length=_int(_attr(f"{conn}/max_xmit_dlength")),
        first_burst_length=_int(_attr(f"{entry}/first_burst_len")),
        max_burst_length=_int(_attr(f"{entry}/max_burst_len")),
        immediate_data=_YES_NO.get(_attr(f"{entry}/immediate_data") or ""),
        initial_r2t=_YES_NO.get(_attr(f"{entry}/initial_r2t") or ""),
        max_outstanding_r2t=_int(_attr(f"{entry}/max_outstanding_r2t")),
    )


#: libiscsi keeps this many of a session's cmds_max for task management: the SCSI host's can_queue is
#: cmds_max less these (measured in the lab: cmds_max 256 gives can_queue 241, 128 gives 113)
LIBISCSI_MGMT_CMDS = 15


def live_tuning(root: Root, session: Session) -> dict[str, str]:
    """The values the kernel uses for this session now, by isc tune's names (a session keeps the values of
    its login): recovery_tmo (replacement_timeout, which multipathd may override), the connection's NOP-Out
    interval and timeout (recv_tmo, ping_tmo), and the host's can_queue as the cmds_max it came from."""
    entry = root.str(f"{SESSION_CLASS}/session{session.sid}")
    conn = root.str(f"{CONNECTION_CLASS}/connection{session.sid}:0")
    out: dict[str, str] = {}
    for name, path in (("replacement_timeout", f"{entry}/recovery_tmo"), ("noop_out_interval", f"{conn}/recv_tmo"),
                       ("noop_out_timeout", f"{conn}/ping_tmo")):
        value = _attr(path)
        if value is not None:
            out[name] = value
    if session.host is not None:
        can_queue = _int(_attr(root.str(f"/sys/class/scsi_host/host{session.host}/can_queue")))
        if can_queue is not None:
            out["cmds_max"] = str(can_queue + LIBISCSI_MGMT_CMDS)
    return out
