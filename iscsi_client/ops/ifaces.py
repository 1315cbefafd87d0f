"""iSCSI ifaces: bind sessions to one network interface (or MAC address), the usual way to give each path of
a multipathed LUN its own NIC when the portals share a subnet; otherwise the routing table sends every
session out of the same NIC and one cable takes all paths down.

iscsiadm quirks handled here: an update that changes the kind of binding (netdev <-> hwaddress) is refused
with a message but exit code 0, so every change is read back from the iface file; the built-in ifaces
"default" and "iser" cannot be changed or deleted."""

from __future__ import annotations

import re

from iscsi_client.errors import InUseError, IscError, NotFoundError, UsageError
from iscsi_client.model import Iface, Iqn
from iscsi_client.records import record
from iscsi_client.system import ifacedb, nodedb, sysfs
from iscsi_client.system.iscsiadm import Iscsiadm, update_args
from iscsi_client.system.root import Root

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")


@record
class IfaceUse:
    iface: Iface
    records: int
    sessions: int


@record
class IfaceChange:
    iface: Iface
    status: str  # "added", "updated", "unchanged", "would-add", "would-update", "deleted", "would-delete"


def list_ifaces(root: Root) -> list[IfaceUse]:
    nodes = nodedb.read_nodes(root)
    sessions = sysfs.read_sessions(root)
    return [IfaceUse(i, sum(n.iface == i.name for n in nodes), sum(s.iface == i.name for s in sessions))
            for i in ifacedb.read_ifaces(root)]


def _find(root: Root, name: str) -> Iface | None:
    return next((i for i in ifacedb.read_ifaces(root) if i.name == name), None)


def _values(i: Iface) -> dict[str, str | None]:
    """The iface settings isc sets, by their iscsiadm names."""
    return {"iface.net_ifacename": i.net_ifacename, "iface.hwaddress": i.hwaddress,
            "iface.initiatorname": i.initiatorname}


def add_iface(*, root: Root, adm: Iscsiadm, name: str, netdev: str | None = None, hwaddress: str | None = None,
              initiator_name: str | None = None) -> IfaceChange:
    """Create the iface bound to ``netdev`` or ``hwaddress`` and/or with its own initiator name (or converge
    an existing one to these values)."""
    if not _NAME.match(name):
        raise UsageError(f"iface name {name!r}: use letters, digits, '.', '_' and '-' (up to 64)",
                         hint="name it after the NIC it binds, e.g. iface-eth1")
    if name in ifacedb.BUILTIN_NAMES:
        raise UsageError(f"{name!r} is built into iscsiadm and cannot be changed", hint="choose another name")
    if netdev is not None and hwaddress is not None:
        raise UsageError("bind the iface to one of --netdev DEV or --hwaddress MAC, not both")
    if netdev is None and hwaddress is None and initiator_name is None:
        raise UsageError("give --netdev DEV or --hwaddress MAC (the NIC to bind), or --initiator-name IQN")
    devices = ifacedb.net_devices(root) if netdev is not None else []
    if netdev is not None and netdev not in devices:
        raise UsageError(f"no network interface {netdev!r} on this host",
                         hint=f"'ip link' lists them; found: {', '.join(devices) or 'none'}")
    if hwaddress is not None:
        hwaddress = hwaddress.lower()
        if not _MAC.match(hwaddress):
            raise UsageError(f"{hwaddress!r} is not a MAC address like 52:54:00:12:34:56")
    if initiator_name is not None:
        initiator_name = str(Iqn.parse(initiator_name))
    wanted = [("iface.net_ifacename", netdev), ("iface.hwaddress", hwaddress),
              ("iface.initiatorname", initiator_name)]
    have = _find(root, name)
    if have is not None:
        bound = "netdev" if have.net_ifacename else "hwaddress" if have.hwaddress else None
        asked = "netdev" if netdev else "hwaddress" if hwaddress else None
        if bound is not None and asked is not None and bound != asked:
            raise InUseError(f"iface {name} is bound by {bound} ({have.net_ifacename or have.hwaddress}); iscsiadm "
                             f"cannot change it to a {asked} binding",
                             hint=f"delete it first (isc iface delete {name}) and add it again")
        current = _values(have)
        todo = [(k, v) for k, v in wanted if v is not None and current[k] != v]
        if not todo:
            return IfaceChange(have, "unchanged")
    else:
        todo = [(k, v) for k, v in wanted if v is not None]
        adm.run(["-m", "iface", "-I", name, "-o", "new"], mutating=True, action=f"adding iface {name}")
    done = adm.run(["-m", "iface", "-I", name, *update_args([(k, v) for k, v in todo if v is not None])],
                   mutating=True, action=f"binding iface {name}")
    if done.dry_run:
        return IfaceChange(Iface(name, "tcp", hwaddress, None, netdev, initiator_name),
                           "would-update" if have else "would-add")
    after = _find(root, name)
    got = _values(after) if after else {}
    wrong = [k for k, v in todo if got.get(k) != v]
    if after is None or wrong:
        raise IscError(f"iscsiadm did not store {', '.join(wrong) or 'the iface'} for iface {name}",
                       hint=f"iscsiadm -m iface -I {name} shows what it holds; {done.stderr.strip()}")
    return IfaceChange(after, "updated" if have else "added")


def delete_iface(*, root: Root, adm: Iscsiadm, name: str) -> IfaceChange:
    if name in ifacedb.BUILTIN_NAMES:
        raise UsageError(f"{name!r} is built into iscsiadm and cannot be deleted")
    have = _find(root, name)
    if have is None:
        raise NotFoundError(f"no iface {name}", hint="'isc iface' lists them")
    sessions = [s for s in sysfs.read_sessions(root) if s.iface == name]
    if sessions:
        raise InUseError(f"iface {name} carries {len(sessions)} session(s): "
                         f"{', '.join(f'{s.target} on {s.portal.address}' for s in sessions)}",
                         hint="log out first: isc logout TARGET")
    records = [n for n in nodedb.read_nodes(root) if n.iface == name]
    if records:
        raise InUseError(f"iface {name} is used by {len(records)} node record(s) "
                         f"({', '.join(sorted({str(n.target) for n in records}))})",
                         hint="delete those records first: isc nodes delete TARGET -p PORTAL")
    done = adm.run(["-m", "iface", "-I", name, "-o", "delete"], mutating=True, action=f"deleting iface {name}")
    return IfaceChange(have, "would-delete" if done.dry_run else "deleted")
