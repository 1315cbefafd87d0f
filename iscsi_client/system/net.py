"""Network probes (TCP reachability of portals)."""

from __future__ import annotations

from iscsi_client import fanout
from iscsi_client.model import Portal


def tcp_reachable(portal: Portal, timeout: float = 1.5) -> bool:
    import socket  # here, not at the top: discover and connect import this module, few of them probe

    # an ASCII name goes as bytes: given a str, getaddrinfo encodes it with the idna codec, whose import
    # (encodings.idna, stringprep, unicodedata) cost about 30 ms of discover in the TCG lab guest
    host: str | bytes = portal.host.encode() if portal.host.isascii() else portal.host
    try:
        infos = socket.getaddrinfo(host, portal.port, type=socket.SOCK_STREAM)
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
    results = fanout.each(lambda p: tcp_reachable(p, timeout), unique, parallel=16)
    return dict(zip(unique, results, strict=True))
