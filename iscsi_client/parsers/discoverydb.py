"""``iscsiadm -m discoverydb``: ``127.0.0.1:3260 via sendtargets``. iscsiadm prints an IPv6 address
without brackets (``::1:3261 via sendtargets``): the port is what follows the last colon."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import DiscoveryRecord, Portal


def parse_discoverydb(text: str) -> list[DiscoveryRecord]:
    out: list[DiscoveryRecord] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3 or fields[1] != "via":
            continue
        address = fields[0]
        if address.count(":") > 1 and not address.startswith("["):
            host, _, port = address.rpartition(":")
            address = f"[{host}]:{port}"
        try:
            out.append(DiscoveryRecord(Portal.parse(address), fields[2]))
        except UsageError:
            continue
    return out
