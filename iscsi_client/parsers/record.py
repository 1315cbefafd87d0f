"""``key = value`` records: ``iscsiadm -m node -o show`` (masked or ``-S``), node record files under
/etc/iscsi/nodes, iface files and send_targets/st_config files; and the Node built from one."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import DEFAULT_PORT, ISNS_PORT, Chap, DiscoveryRecord, Iqn, Node, Portal

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

EMPTY = "<empty>"
MASK = "********"


def parse_record(text: str) -> dict[str, str | None]:
    """Keys to values; ``<empty>`` becomes None. Comments (``# BEGIN RECORD``) are skipped."""
    out: dict[str, str | None] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(" = ")
        if not sep:
            key, sep, value = line.partition("=")
            if not sep:
                continue
        key, value = key.strip(), value.strip()
        if key:
            out[key] = None if value in (EMPTY, "") else value
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def node_from_record(rec: dict[str, str | None], *, iface: str | None = None) -> Node | None:
    """A Node from a parsed record; None when it lacks a valid name or address.

    Secrets are reduced to 'is set': a Node never carries a password, masked or not.
    """
    try:
        target = Iqn.parse(rec.get("node.name") or "")
        host = rec.get("node.conn[0].address") or ""
        port = _int(rec.get("node.conn[0].port")) or 3260
        tpgt = _int(rec.get("node.tpgt"))
        portal = Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except UsageError:
        return None
    portal = Portal(portal.host, portal.port, tpgt)
    chap = Chap(
        method=rec.get("node.session.auth.authmethod") or "None",
        username=rec.get("node.session.auth.username"),
        has_password=rec.get("node.session.auth.password") is not None,
        username_in=rec.get("node.session.auth.username_in"),
        has_password_in=rec.get("node.session.auth.password_in") is not None,
    )
    return Node(
        target=target,
        portal=portal,
        iface=iface or rec.get("iface.iscsi_ifacename") or "default",
        startup=rec.get("node.startup") or "manual",
        conn_startup=rec.get("node.conn[0].startup") or "manual",
        chap=chap,
        discovery=rec.get("node.discovery_type") or "static",
        replacement_timeout=_int(rec.get("node.session.timeo.replacement_timeout")),
        queue_depth=_int(rec.get("node.session.queue_depth")),
        cmds_max=_int(rec.get("node.session.cmds_max")),
        scan=rec.get("node.session.scan") or "auto",
        login_timeout=_int(rec.get("node.conn[0].timeo.login_timeout")),
        login_retries=_int(rec.get("node.session.initial_login_retry_max")),
        nr_sessions=max(1, _int(rec.get("node.session.nr_sessions")) or 1),
    )


def discovery_from_record(rec: dict[str, str | None]) -> DiscoveryRecord | None:
    """A discovery record from an st_config or isns_config file; None when it lacks a type or address.
    iscsiadm keeps the address of an iSNS record under discovery.sendtargets.* too."""
    method = rec.get("discovery.type")
    host = rec.get("discovery.sendtargets.address") or ""
    if method not in ("sendtargets", "isns") or not host:
        return None
    port = _int(rec.get("discovery.sendtargets.port")) or (ISNS_PORT if method == "isns" else DEFAULT_PORT)
    try:
        portal = Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except UsageError:
        return None
    prefix = f"discovery.{method}.auth"
    auth = rec.get(f"{prefix}.authmethod") or "None"
    chap = auth == "CHAP"
    return DiscoveryRecord(portal, method, auth, rec.get(f"{prefix}.username") if chap else None,
                           rec.get(f"{prefix}.username_in") if chap else None)


def set_record_values(text: str, settings: Sequence[tuple[str, str]]) -> str:
    """A record with ``name = value`` set: each line for that name is replaced in place (a hand-edited
    record may repeat one; whichever a reader takes, it gets the new value), a missing one goes before
    ``# END RECORD`` (or at the end); every other line stays byte-for-byte."""
    lines = text.splitlines(keepends=True)
    for name, value in settings:
        line = f"{name} = {value}\n"
        at = [i for i, ln in enumerate(lines) if "=" in ln and ln.split("=", 1)[0].strip() == name]
        for i in at:
            lines[i] = line if lines[i].endswith("\n") else line[:-1]
        if at:
            continue
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        end = len(lines) - 1 if lines and lines[-1].strip() == "# END RECORD" else len(lines)
        lines.insert(end, line)
    return "".join(lines)
