"""A login exec waits at least as long as iscsid retries its records: killed before that, it would leave
iscsid logging in to a target isc reported as failed (lab: a portal that drops every login)."""

from __future__ import annotations

from iscsi_client.model import Iqn, Node, Portal
from iscsi_client.ops.login_batches import login_batches
from iscsi_client.parsers.record import node_from_record

T, U = Iqn.parse("iqn.2003-01.org.example:a"), Iqn.parse("iqn.2003-01.org.example:b")
P1, P2 = Portal("192.0.2.1", 3260, 1), Portal("192.0.2.2", 3260, 1)


def test_the_window_follows_the_records_retry_settings():
    assert Node(T, P1).login_window == 8 * (15 + 10) + 30  # open-iscsi's defaults: 8 attempts of 15 s
    assert Node(T, P1, login_timeout=5, login_retries=1).login_window == 45
    assert Node(T, P1, login_timeout=0, login_retries=-1).login_window == Node(T, P1).login_window  # nonsense
    rec = {"node.name": str(T), "node.conn[0].address": "192.0.2.1", "node.conn[0].port": "3260", "node.tpgt": "1",
           "node.conn[0].timeo.login_timeout": "5", "node.session.initial_login_retry_max": "2"}
    n = node_from_record(rec)
    assert n is not None and (n.login_timeout, n.login_retries) == (5, 2)


def test_every_login_exec_carries_the_longest_window_of_its_records():
    slow = Node(T, P1, login_timeout=30, login_retries=8)
    fast = Node(T, P2, login_timeout=5, login_retries=1)
    other = Node(U, P1, login_timeout=5, login_retries=1)
    every = [slow, fast, other]
    (all_at_once,) = login_batches(every, every)
    assert all_at_once.call.timeout == slow.login_window
    (target,) = login_batches([slow, fast], every)
    assert target.call.timeout == slow.login_window
    (one,) = login_batches([other], every)
    assert one.call.timeout == other.login_window


def test_an_exec_past_its_window_fails_on_its_own_and_the_others_keep_their_outcomes(tmp_path, monkeypatch):
    """Each exec gets max(--timeout, its window); one that does not finish is an outcome (iscsiadm's code 8,
    the connection timed out), not an error that drops every other record's result."""
    import time
    from contextlib import nullcontext

    from iscsi_client.errors import IscsiadmError
    from iscsi_client.system.iscsiadm import Call, Iscsiadm
    from iscsi_client.system.root import Root

    fake = tmp_path / "iscsiadm"
    fake.write_text('#!/bin/sh\n[ "$1" = slow ] && exec sleep 30\nexit 0\n')
    fake.chmod(0o755)
    adm = Iscsiadm(Root(), binary=str(fake), timeout=0.2)
    monkeypatch.setattr(adm, "lock", nullcontext)  # not the host's lock: other tests may hold it
    t0 = time.monotonic()
    slow, fast = adm.run_each([Call(["slow"], action="login to a", timeout=1.5), Call(["fast"], action="login to b")],
                              parallel=2)
    took = time.monotonic() - t0
    assert isinstance(slow, IscsiadmError) and slow.rc == 8 and slow.exit_code == 5
    assert "did not finish within 2 s" in slow.message and "login to a" in slow.message
    assert not isinstance(fast, IscsiadmError) and fast.rc == 0
    assert 1.4 < took < 10
