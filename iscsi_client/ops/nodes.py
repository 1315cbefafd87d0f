"""The node database: list, add a static target, delete (refused while a session uses the record)."""

from __future__ import annotations

from iscsi_client.errors import InUseError, NotFoundError
from iscsi_client.model import Iqn, Node, Portal
from iscsi_client.system import nodedb, sysfs
from iscsi_client.system.iscsiadm import Iscsiadm, node_selector
from iscsi_client.system.root import Root


def list_nodes(*, root: Root, target: Iqn | None = None) -> list[Node]:
    return nodedb.read_nodes(root, target=target)


def select_nodes(*, root: Root, target: Iqn | None, portal: Portal | None, all_nodes: bool = False,
                 what: str = "records") -> list[Node]:
    """The records a command acts on; a clear NotFoundError when nothing matches."""
    nodes = nodedb.read_nodes(root, target=target)
    if portal is not None:
        nodes = [n for n in nodes if n.portal.same_address(portal)]
    if target is None and not all_nodes:
        raise NotFoundError("no target given", hint="name a target, or use --all")
    if not nodes:
        subject = f"target {target}" if target else "any target"
        where = f" on portal {portal.address}" if portal else ""
        raise NotFoundError(
            f"no node record for {subject}{where}",
            hint="run 'isc discover PORTAL' or 'isc nodes add TARGET PORTAL' first; 'isc nodes' lists records",
        )
    return nodes


def add_node(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal, iface: str | None = None) -> bool:
    """Create a static record; False when it already exists (nothing is changed then).

    iscsiadm keeps a static record (tpgt -1) in one file per target and portal: ``-o new`` for a second
    iface on that portal replaces the first record and still says "added". isc refuses instead."""
    for n in nodedb.read_nodes(root, target=target):
        if not n.portal.same_address(portal):
            continue
        if iface is None or n.iface == iface:
            return False
        if n.portal.tpgt in (None, -1) and portal.tpgt in (None, -1):
            raise InUseError(f"{target} on {portal.address} already has a static record (iface {n.iface}); "
                             f"iscsiadm keeps one static record per portal, so adding one for iface {iface} "
                             "would silently replace it",
                             hint=f"discover instead (isc discover {portal.address} -I {iface}): discovered "
                                  "records keep one per iface; or delete the other record first")
    adm.run([*node_selector(target, portal, iface, with_tpgt=True), "-o", "new"], mutating=True,
            action=f"adding {target} on {portal.address}")
    return True


def delete_nodes(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
                 iface: str | None = None) -> list[Node]:
    """Delete a target's records (one portal's, one iface's); refused while a session uses one of them."""
    nodes = select_nodes(root=root, target=target, portal=portal)
    if iface is not None:
        nodes = [n for n in nodes if n.iface == iface]
        if not nodes:
            raise NotFoundError(f"no record of {target} through iface {iface}",
                                hint="'isc nodes' lists the records and their ifaces")
    busy = [s for s in sysfs.read_sessions(root) if s.target == target
            and (portal is None or s.portal.same_address(portal)) and (iface is None or s.iface == iface)]
    if busy:
        where = ", ".join(f"{s.portal.address} (session {s.sid})" for s in busy)
        raise InUseError(f"{target} has active sessions on {where}; its records are in use",
                         hint=f"log out first: isc logout {target}" + (f" -I {iface}" if iface else ""))
    adm.run([*node_selector(target, portal.without_tpgt() if portal else None, iface), "-o", "delete"],
            mutating=True, action=f"deleting records of {target}")
    return nodes
