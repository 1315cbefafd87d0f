"""Network probes (TCP reachability of portals).

Every address of every portal is connected to at once, without blocking, and one poll waits for all of them:
no thread per portal, and the time is one timeout however many portals a target names. A portal is reachable
when any of its addresses accepts. _socket is the C module socket.py wraps: socket.py turns its constants into
enums at import (about 20 ms of a discover in the TCG lab guest); a probe needs getaddrinfo, connect and close.
"""

from __future__ import annotations

import _socket
import errno
import select
import time

from iscsi_client import fanout
from iscsi_client.model import Portal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Address = tuple[int, int, int, Any]  # family, type, proto, sockaddr


def tcp_reachable(portal: Portal, timeout: float = 1.5) -> bool:
    return probe_portals([portal], timeout)[portal.without_tpgt()]


def probe_portals(portals: list[Portal], timeout: float = 1.5) -> dict[Portal, bool]:
    """Probe every portal within ``timeout`` seconds; keys are portals without tpgt. Names are resolved side
    by side first (a slow resolver must not add up); an address written as numbers needs no resolver."""
    unique = sorted({p.without_tpgt() for p in portals})
    addresses = {p: _resolve(p, numeric=True) for p in unique}
    named = [p for p, found in addresses.items() if found is None]
    addresses.update(zip(named, fanout.each(lambda p: _resolve(p, numeric=False), named, parallel=16),
                         strict=True))
    return _connect_all({p: found or [] for p, found in addresses.items()}, timeout)


def _resolve(portal: Portal, *, numeric: bool) -> list[Address] | None:
    """The portal's TCP addresses; None when ``numeric`` and its host is a name, [] when it does not resolve."""
    # an ASCII name goes as bytes: given a str, getaddrinfo encodes it with the idna codec, whose import
    # (encodings.idna, stringprep, unicodedata) cost about 30 ms of discover in the TCG lab guest
    host: str | bytes = portal.host.encode() if portal.host.isascii() else portal.host
    try:
        infos = _socket.getaddrinfo(host, portal.port, 0, _socket.SOCK_STREAM, 0,
                                    _socket.AI_NUMERICHOST if numeric else 0)
    except OSError:
        return None if numeric else []
    return [(family, kind, proto, addr) for family, kind, proto, _, addr in infos]


AT_ONCE = 256  # sockets open at a time: far below the usual limit of 1024 descriptors per process


def _connect_all(addresses: dict[Portal, list[Address]], timeout: float) -> dict[Portal, bool]:
    reachable = dict.fromkeys(addresses, False)
    every = [(portal, address) for portal, found in addresses.items() for address in found]
    for start in range(0, len(every), AT_ONCE):
        for portal in _connect_batch(every[start:start + AT_ONCE], timeout):
            reachable[portal] = True
    return reachable


def _connect_batch(batch: list[tuple[Portal, Address]], timeout: float) -> set[Portal]:
    """The portals of ``batch`` that accepted a connection within ``timeout`` seconds."""
    reachable: set[Portal] = set()
    pending: dict[int, tuple[Any, Portal]] = {}  # descriptor -> (socket, portal)
    poller = select.poll()
    try:
        for portal, (family, kind, proto, addr) in batch:
            try:
                s = _socket.socket(family, kind, proto)
            except OSError:  # a family this host has no stack for (IPv6 disabled)
                continue
            s.setblocking(False)
            code = s.connect_ex(addr)
            if code == 0:  # at once (a local portal can accept before connect returns)
                reachable.add(portal)
                s.close()
            elif code in (errno.EINPROGRESS, errno.EAGAIN):
                pending[s.fileno()] = (s, portal)
                poller.register(s.fileno(), select.POLLOUT)
            else:
                s.close()
        deadline = time.monotonic() + timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for fd, _ in poller.poll(remaining * 1000):
                s, portal = pending.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR) == 0:
                    reachable.add(portal)
                s.close()
    finally:
        for s, _ in pending.values():
            s.close()
    return reachable
