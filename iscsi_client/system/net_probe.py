"""Path MTU probing: the interface that routes to an address, its MTU, and don't-fragment pings."""

from __future__ import annotations

from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

IPV4_OVERHEAD = 28  # IPv4 header 20 + ICMP 8
IPV6_OVERHEAD = 48  # IPv6 header 40 + ICMPv6 8


def route_device(cmd: Commands, address: str) -> str | None:
    r = cmd.run(["ip", "-j", "route", "get", address], mutating=False, action=f"looking up the route to {address}",
                ok=range(256))
    import json  # here: doctor's other checks have no use for it

    try:
        routes = json.loads(r.stdout)
    except ValueError:
        return None
    return routes[0].get("dev") if routes else None


def interface_mtu(root: Root, dev: str) -> int | None:
    try:
        return int(root(f"/sys/class/net/{dev}/mtu").read_text().strip())
    except (OSError, ValueError):
        return None


def ping_df(cmd: Commands, address: str, payload: int, *, ipv6: bool) -> bool:
    """One don't-fragment echo of ``payload`` bytes; True when it was answered."""
    argv = ["ping", "-6" if ipv6 else "-4", "-M", "do", "-c", "1", "-W", "1", "-s", str(payload), address]
    r = cmd.run(argv, mutating=False, action=f"probing the path MTU to {address}", ok=range(256))
    return r.rc == 0


def largest_payload(cmd: Commands, address: str, upper: int, *, ipv6: bool) -> int | None:
    """The largest don't-fragment payload that gets through (binary search up to ``upper``); None when even
    a small one does not."""
    low = 0 if ping_df(cmd, address, 56, ipv6=ipv6) else None
    if low is None:
        return None
    if ping_df(cmd, address, upper, ipv6=ipv6):
        return upper
    lo, hi = 56, upper
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ping_df(cmd, address, mid, ipv6=ipv6):
            lo = mid
        else:
            hi = mid
    return lo
