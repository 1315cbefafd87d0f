"""Which iscsiadm execs a logout runs: the sessions of one record (node.session.nr_sessions > 1) leave in
the one exec that names the record; each is still reported by its session id."""

from __future__ import annotations

from iscsi_client.kernel_model import Session
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops.login_batches import logout_batches, logout_results
from iscsi_client.system.iscsiadm import Completed

A, B = Iqn.parse("iqn.2003-01.org.example:a"), Iqn.parse("iqn.2003-01.org.example:b")
P1, P2 = Portal("127.0.0.1", 3260, 1), Portal("127.0.0.2", 3260, 1)


def test_the_sessions_of_one_record_leave_in_one_exec():
    every = [Session(1, A, P1), Session(2, A, P1), Session(3, A, P2), Session(4, B, P1)]
    batches = logout_batches(every[:2], every, by_sid=False)
    (batch,) = batches
    assert batch.call.args[-1] == "--logout" and "127.0.0.1:3260" in batch.call.args
    assert [s.sid for s in batch.members] == [1, 2] and batch.batched  # type: ignore[union-attr]
    # what iscsiadm printed for that exec (lab, two sessions to 127.0.0.1): one outcome per session
    out = ("Logging out of session [sid: 1, target: iqn.2003-01.org.example:a, portal: 127.0.0.1,3260]\n"
           "Logging out of session [sid: 2, target: iqn.2003-01.org.example:a, portal: 127.0.0.1,3260]\n"
           "Logout of [sid: 1, target: iqn.2003-01.org.example:a, portal: 127.0.0.1,3260] successful.\n"
           "Logout of [sid: 2, target: iqn.2003-01.org.example:a, portal: 127.0.0.1,3260] successful.\n")
    done = logout_results(batch, Completed(tuple(str(a) for a in batch.call.args), 0, out, ""))
    assert [status for status, _, _ in done] == ["done", "done"]


def test_one_session_per_record_keeps_an_exec_each():
    every = [Session(1, A, P1), Session(3, A, P2), Session(4, B, P1)]
    batches = logout_batches([every[0], every[2]], every, by_sid=False)
    assert len(batches) == 2 and not any(b.batched for b in batches)
