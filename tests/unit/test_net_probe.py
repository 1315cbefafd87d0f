"""system/net.py: the TCP probe discover runs on every portal a target names (an unreachable one is flagged
and its new record dropped), against real sockets on this host."""

from __future__ import annotations

import socket

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
