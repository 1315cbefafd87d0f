"""``iscsiadm -m iface``: ``NAME TRANSPORT,HWADDRESS,IPADDRESS,NET_IFACE,INITIATORNAME``."""

from __future__ import annotations

from iscsi_client.model import Iface

EMPTY = "<empty>"


def parse_ifaces(text: str) -> list[Iface]:
    out: list[Iface] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[0].startswith("iscsiadm:"):
            continue
        parts = fields[1].split(",")
        if len(parts) != 5:
            continue
        values = [None if p in (EMPTY, "") else p for p in parts]
        out.append(Iface(fields[0], values[0] or "tcp", values[1], values[2], values[3], values[4]))
    return out
