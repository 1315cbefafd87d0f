"""``iscsiadm -m discoverydb``: ``127.0.0.1:3260 via sendtargets``."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import DiscoveryRecord, Portal


def parse_discoverydb(text: str) -> list[DiscoveryRecord]:
    out: list[DiscoveryRecord] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3 or fields[1] != "via":
            continue
        try:
            out.append(DiscoveryRecord(Portal.parse(fields[0]), fields[2]))
        except UsageError:
            continue
    return out
