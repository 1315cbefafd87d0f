"""``iscsiadm -m session`` (flat) and ``-m session -P 1`` / ``-P 3`` (a ``Target:`` line followed by one
``Current Portal:`` block per session to it)."""

from __future__ import annotations

import re

from iscsi_client.errors import UsageError
from iscsi_client.kernel_model import Session
from iscsi_client.model import Iqn, Portal

_FLAT = re.compile(r"^(?P<transport>[\w-]+): \[(?P<sid>\d+)\] (?P<portal>\S+) (?P<target>\S+)")


def parse_sessions(text: str) -> list[Session]:
    """Flat format: ``tcp: [1] 127.0.0.1:3260,1 iqn... (non-flash)``."""
    out: list[Session] = []
    for line in text.splitlines():
        m = _FLAT.match(line.strip())
        if not m:
            continue
        try:
            out.append(Session(sid=int(m["sid"]), target=Iqn.parse(m["target"]),
                               portal=Portal.parse(m["portal"]), transport=m["transport"]))
        except UsageError:
            continue
    return out


_FIELDS = {
    "Iface Name": "iface",
    "Iface Transport": "transport",
    "Iface Initiatorname": "initiator",
    "iSCSI Connection State": "connection_state",
    "iSCSI Session State": "state",
    "SID": "sid",
    "Recovery Timeout": "recovery_tmo",
    "Host Number": "host",
}


def parse_session_tree(text: str) -> list[Session]:
    """Detailed format (``-P 1`` or ``-P 3``). One Session per ``Current Portal:`` block."""
    sessions: list[Session] = []
    target: Iqn | None = None
    cur: dict[str, object] | None = None

    def flush() -> None:
        if cur is not None and target is not None and "sid" in cur and "portal" in cur:
            sessions.append(Session(target=target, **cur))  # type: ignore[arg-type]

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Target:"):
            flush()
            cur = None
            try:
                target = Iqn.parse(line.split(":", 1)[1].split()[0])
            except (UsageError, IndexError):
                target = None
            continue
        if line.startswith("Current Portal:"):
            flush()
            try:
                cur = {"portal": Portal.parse(line.split(":", 1)[1].strip())}
            except UsageError:
                cur = None
            continue
        if cur is None:
            continue
        if line.startswith("Attached scsi disk"):
            parts = line.split()
            if len(parts) >= 4:
                cur["devices"] = (*cur.get("devices", ()), parts[3])  # type: ignore[misc]
            continue
        # "Host Number: 6\tState: running" holds two fields on one line.
        first = line.split("\t")[0]
        key, sep, value = first.partition(":")
        name = _FIELDS.get(key.strip())
        if not sep or name is None:
            continue
        value = value.strip()
        if name in ("sid", "recovery_tmo", "host"):
            if value.isascii() and value.isdigit():
                cur[name] = int(value)
        else:
            cur[name] = value or None
    flush()
    return sessions
