"""fanout.beside: two steps at once (a logout beside the records' update, a map flush beside the buffers')."""

from __future__ import annotations

import threading

import pytest

from iscsi_client import fanout


def test_both_run_at_the_same_time_and_both_results_come_back():
    started = threading.Event()

    def first() -> str:  # waits for the second step: it could not finish if the two ran one after the other
        assert started.wait(5), "the second step never ran beside the first"
        return "first"

    def second() -> int:
        started.set()
        return 2

    assert fanout.beside(first, second) == ("first", 2)


def test_a_failure_is_raised_once_the_other_step_has_ended():
    ended = threading.Event()

    def first() -> None:
        raise RuntimeError("logout refused")

    def second() -> None:
        assert not ended.is_set()
        ended.set()

    with pytest.raises(RuntimeError, match="logout refused"):
        fanout.beside(first, second)
    assert ended.is_set()

    finished = threading.Event()

    def slow() -> str:
        assert not finished.wait(0.2)  # still running when the other step has already failed
        finished.set()
        return "done"

    def fails() -> None:
        raise ValueError("update failed")

    with pytest.raises(ValueError, match="update failed"):
        fanout.beside(slow, fails)
    assert finished.is_set()  # the thread was waited for, not left behind
