"""``PORTAL,TPGT TARGET`` lines: printed by SendTargets discovery and by ``iscsiadm -m node``."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import DiscoveredTarget, Iqn, Portal


def parse_portal_lines(text: str) -> list[DiscoveredTarget]:
    """Parse ``127.0.0.1:3260,1 iqn...`` lines (also ``[v6]:3260,1 iqn...``), in order, without repeats."""
    found: list[DiscoveredTarget] = []
    seen: set[tuple[str, str, int | None]] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[0].startswith(("iscsiadm:", "#")):
            continue
        try:
            portal = Portal.parse(fields[0])
            target = Iqn.parse(fields[1])
        except UsageError:
            continue
        key = (str(target), portal.address, portal.tpgt)
        if key not in seen:
            seen.add(key)
            found.append(DiscoveredTarget(target=target, portal=portal))
    return found
