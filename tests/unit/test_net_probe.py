"""system/net.py: the TCP probe discover runs on every portal a target names (an unreachable one is flagged
and its new record dropped), against real sockets on this host."""

from __future__ import annotations

import socket
import time

import pytest

from iscsi_client.model import Portal
from iscsi_client.system.net import probe_portals, tcp_reachable


def _listening(host: str) -> socket.socket:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0))
    s.listen()
    return s


def _closed_port() -> int:
    with socket.socket() as s:  # a port just freed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_listening_portal_is_reachable_and_a_closed_one_is_not():
    with _listening("127.0.0.1") as s:
        port = s.getsockname()[1]
        assert tcp_reachable(Portal("127.0.0.1", port), 1.0)
        assert tcp_reachable(Portal("localhost", port), 1.0)  # a name, resolved, every address tried
    assert not tcp_reachable(Portal("127.0.0.1", _closed_port()), 1.0)


def test_a_name_that_does_not_resolve_is_unreachable():
    assert not tcp_reachable(Portal("isc-no-such-host.invalid", 3260), 1.0)


def test_probes_answer_per_portal_without_tpgt():
    with _listening("127.0.0.1") as s:
        up = Portal("127.0.0.1", s.getsockname()[1], 1)
        down = Portal("127.0.0.1", _closed_port(), 2)
        assert probe_portals([up, down, up]) == {up.without_tpgt(): True, down.without_tpgt(): False}


def _silent(count: int) -> tuple[list[socket.socket], list[Portal]]:
    """Portals that never answer: each listener's accept queue is full (one connection nobody accepts), so the
    kernel drops the next SYN and a connect waits, as it does for a portal behind a firewall that drops."""
    held: list[socket.socket] = []
    portals = []
    for _ in range(count):
        s = _listening("127.0.0.1")
        s.listen(0)
        filler = socket.create_connection(s.getsockname(), timeout=2)
        second = socket.socket()
        second.setblocking(False)
        second.connect_ex(s.getsockname())  # the queue of a backlog 0 takes one more on Linux
        held += [s, filler, second]
        portals.append(Portal("127.0.0.1", s.getsockname()[1]))
    return held, portals


def test_portals_that_do_not_answer_cost_one_timeout_together():
    """A target naming many portals behind a dropping firewall: every address is connected to at once, so the
    probe waits one timeout, not one per portal nor one per batch of portals (40 here: one by one they would
    take 20 s, 16 at a time 1.5 s)."""
    held, silent = _silent(40)
    try:
        with _listening("127.0.0.1") as s:
            up = Portal("127.0.0.1", s.getsockname()[1])
            start = time.monotonic()
            got = probe_portals([*silent, up], 0.5)
            took = time.monotonic() - start
        assert got == {**{p: False for p in silent}, up: True}
        assert 0.45 < took < 1.2, took
    finally:
        for x in held:
            x.close()


def test_many_portals_are_probed_in_batches_with_the_same_answers(monkeypatch):
    """No more sockets open at once than net.AT_ONCE (a long portal list must not run out of descriptors and
    call the rest unreachable): here batches of two, each answering for its own portals."""
    from iscsi_client.system import net

    monkeypatch.setattr(net, "AT_ONCE", 2)
    held, (silent,) = _silent(1)
    try:
        with _listening("127.0.0.1") as a, _listening("127.0.0.1") as b:
            up = [Portal("127.0.0.1", x.getsockname()[1]) for x in (a, b)]
            down = Portal("127.0.0.1", _closed_port())
            assert probe_portals([up[0], down, silent, up[1]], 0.3) == \
                {up[0]: True, up[1]: True, down: False, silent: False}
    finally:
        for x in held:
            x.close()


def test_an_ipv6_portal_is_probed_by_its_address():
    try:
        s = _listening("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    with s:
        up = Portal.parse(f"[::1]:{s.getsockname()[1]}")
        assert probe_portals([up], 1.0) == {up: True}
