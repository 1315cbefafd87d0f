"""``iscsiadm -m node -P 1``: a ``Target:`` line, then ``Portal:`` lines, each with an ``Iface Name:``."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import Iqn, Portal


def parse_node_tree(text: str) -> list[tuple[Iqn, Portal, str]]:
    out: list[tuple[Iqn, Portal, str]] = []
    target: Iqn | None = None
    portal: Portal | None = None
    for raw in text.splitlines():
        line = raw.strip()
        try:
            if line.startswith("Target:"):
                target, portal = Iqn.parse(line.split(":", 1)[1].split()[0]), None
            elif line.startswith("Portal:") and target is not None:
                portal = Portal.parse(line.split(":", 1)[1].strip())
            elif line.startswith("Iface Name:") and target is not None and portal is not None:
                out.append((target, portal, line.split(":", 1)[1].strip()))
        except (UsageError, IndexError):
            continue
    return out
