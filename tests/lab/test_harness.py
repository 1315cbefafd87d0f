"""The lab's own harness: a guest command that outlives its kill fails its test instead of hanging the run.

A process stuck in D state (I/O queued on a lost session) ignores `timeout`'s SIGKILL, and the guest agent
reports the command running for as long as it stays. Guest.run gives up REAP_GRACE seconds past the
command's timeout. Here the stand-in is a background child that keeps the command's output open, which the
agent waits for in the same way.
"""

from __future__ import annotations

import time

import pytest
import vm


def test_a_command_still_running_past_its_timeout_raises_and_the_guest_stays_usable(
        guest: vm.Guest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vm, "REAP_GRACE", 3.0)
    t0 = time.monotonic()
    with pytest.raises(vm.GuestCommandHung, match=r"sleep 45 &"):
        guest.run("sleep 45 &", timeout=1)
    took = time.monotonic() - t0
    assert 4 <= took < 30, took
    # the agent still answers, and the stray child goes
    guest.run("pkill -x sleep; true").check()
    assert guest.run("echo ok").check().stdout == "ok\n"


def test_a_command_within_its_timeout_is_waited_for(guest: vm.Guest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vm, "REAP_GRACE", 3.0)
    r = guest.run("sleep 2; echo done", timeout=10)
    assert (r.rc, r.stdout) == (0, "done\n")
