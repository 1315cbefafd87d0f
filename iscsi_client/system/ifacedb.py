"""open-iscsi's iface records (/etc/iscsi/ifaces/NAME), read straight from their files like the node
database: fast, works under --root, and TAB completion can use it. "default" (tcp through the routing
table) and "iser" are built into iscsiadm and have no file."""

from __future__ import annotations

import os

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
        base = root.str(d)
        if not dir_exists(base):
            continue
        for file_name in sorted(os.listdir(base)):
            path = f"{base}/{file_name}"
            if not os.path.isfile(path) or file_name.startswith("."):
                continue
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                    rec = parse_record(fh.read())
            except FileNotFoundError:  # deleted since the listing
                continue
            name = rec.get("iface.iscsi_ifacename") or file_name
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
    try:
        return sorted(os.listdir(root.str("/sys/class/net")))
    except OSError:
        return []
