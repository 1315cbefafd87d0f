"""open-iscsi's iface records (/etc/iscsi/ifaces/NAME), read straight from their files like the node
database: fast, works under --root, and TAB completion can use it. "default" (tcp through the routing
table) and "iser" are built into iscsiadm and have no file."""

from __future__ import annotations

from iscsi_client.model import Iface
from iscsi_client.system.files import dir_exists
from iscsi_client.system.root import Root

IFACE_DIRS = ("/etc/iscsi/ifaces", "/var/lib/iscsi/ifaces")
BUILTIN = (Iface("default", "tcp"), Iface("iser", "iser"))
BUILTIN_NAMES = tuple(i.name for i in BUILTIN)


def read_ifaces(root: Root) -> list[Iface]:
    """The built-in ifaces, then every iface file, by name."""
    from iscsi_client.parsers.record import parse_record

    found: dict[str, Iface] = {}
    for d in IFACE_DIRS:
        base = root(d)
        if not dir_exists(base):
            continue
        for path in sorted(base.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                rec = parse_record(path.read_text(encoding="utf-8", errors="surrogateescape"))
            except FileNotFoundError:  # deleted since the listing
                continue
            name = rec.get("iface.iscsi_ifacename") or path.name
            found.setdefault(name, Iface(name, rec.get("iface.transport_name") or "tcp",
                                         rec.get("iface.hwaddress"), rec.get("iface.ipaddress"),
                                         rec.get("iface.net_ifacename"), rec.get("iface.initiatorname")))
        break  # iscsiadm uses the first directory that exists
    return [*BUILTIN, *(found[k] for k in sorted(found) if k not in BUILTIN_NAMES)]


def net_devices(root: Root) -> list[str]:
    """Network interfaces the kernel has: asked of the kernel on the live host, /sys/class/net under --root."""
    if root.is_live:
        import socket

        return sorted(name for _, name in socket.if_nameindex())
    base = root("/sys/class/net")
    return sorted(p.name for p in base.iterdir()) if base.is_dir() else []
