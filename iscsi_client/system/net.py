"""Network probes (TCP reachability of portals)."""

from __future__ import annotations

from iscsi_client import fanout
from iscsi_client.model import Portal


def tcp_reachable(portal: Portal, timeout: float = 1.5) -> bool:
    # _socket, the C module that socket.py wraps: socket.py turns its constants into enums at import (about
    # 20 ms of a discover in the TCG lab guest); a probe needs getaddrinfo, connect and close
    import _socket

    # an ASCII name goes as bytes: given a str, getaddrinfo encodes it with the idna codec, whose import
    # (encodings.idna, stringprep, unicodedata) cost about 30 ms of discover in the TCG lab guest
    host: str | bytes = portal.host.encode() if portal.host.isascii() else portal.host
    try:
        infos = _socket.getaddrinfo(host, portal.port, 0, _socket.SOCK_STREAM)
    except OSError:
        return False
    for family, kind, proto, _, addr in infos:
        s = _socket.socket(family, kind, proto)
        try:
            s.settimeout(timeout)
            s.connect(addr)
            return True
        except OSError:
            continue
        finally:
            s.close()
    return False


def probe_portals(portals: list[Portal], timeout: float = 1.5) -> dict[Portal, bool]:
    """Probe in parallel; keys are portals without tpgt."""
    unique = sorted({p.without_tpgt() for p in portals})
    if not unique:
        return {}
    results = fanout.each(lambda p: tcp_reachable(p, timeout), unique, parallel=16)
    return dict(zip(unique, results, strict=True))
