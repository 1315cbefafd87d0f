"""Network probes (TCP reachability of portals)."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from iscsi_client.model import Portal


def tcp_reachable(portal: Portal, timeout: float = 1.5) -> bool:
    try:
        infos = socket.getaddrinfo(portal.host, portal.port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    for family, kind, proto, _, addr in infos:
        with socket.socket(family, kind, proto) as s:
            s.settimeout(timeout)
            try:
                s.connect(addr)
                return True
            except OSError:
                continue
    return False


def probe_portals(portals: list[Portal], timeout: float = 1.5) -> dict[Portal, bool]:
    """Probe in parallel; keys are portals without tpgt."""
    unique = sorted({p.without_tpgt() for p in portals})
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(16, len(unique))) as pool:
        results = list(pool.map(lambda p: tcp_reachable(p, timeout), unique))
    return dict(zip(unique, results, strict=True))
