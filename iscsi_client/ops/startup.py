"""node.startup and node.conn[0].startup together (iscsiadm keeps both; boot logins need both)."""

from __future__ import annotations

from iscsi_client.model import Iqn, Node, Portal, Startup
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.system import nodedb
from iscsi_client.system.iscsiadm import Iscsiadm, node_selector, update_args
from iscsi_client.system.root import Root


def set_startup(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
                mode: Startup) -> tuple[list[Node], list[Node]]:
    """Returns (records changed, records already in that mode). One exec for all that need it; under
    --root (an image, no iscsiadm) the record files are edited directly."""
    nodes = select_nodes(root=root, target=target, portal=portal)
    todo = [n for n in nodes if n.startup != mode.value or n.conn_startup != mode.value]
    settings = [("node.startup", mode.value), ("node.conn[0].startup", mode.value)]
    if todo and not root.is_live:
        if not adm.dry_run:
            nodedb.write_settings(root, todo, settings)
    elif todo:
        one_portal = portal.without_tpgt() if portal else (todo[0].portal.without_tpgt() if len(todo) == 1 else None)
        adm.run([*node_selector(target, one_portal),
                 *update_args(settings)],
                mutating=True, action=f"setting startup of {target} to {mode.value}")
    return todo, [n for n in nodes if n not in todo]
