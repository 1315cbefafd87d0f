"""node.startup and node.conn[0].startup together (iscsiadm keeps both; boot logins need both)."""

from __future__ import annotations

from iscsi_client.model import Iqn, Node, Portal, Startup
from iscsi_client.ops.node_settings import set_node_values
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root


def set_startup(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
                mode: Startup) -> tuple[list[Node], list[Node]]:
    """Returns (records changed, records already in that mode). One exec for all that need it; under
    --root (an image, no iscsiadm) the record files are edited directly."""
    done = set_node_values(root=root, adm=adm, target=target, portal=portal,
                           settings=[("node.startup", mode.value), ("node.conn[0].startup", mode.value)])
    return done.changed, done.unchanged
