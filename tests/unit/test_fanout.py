"""fanout: steps side by side (logins, logouts, scans, probes; a logout beside the records' update)."""

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


def test_when_both_steps_fail_the_first_steps_failure_is_raised():
    def first() -> None:
        raise RuntimeError("logout refused")

    def second() -> None:
        raise ValueError("update failed")

    with pytest.raises(RuntimeError, match="logout refused"):
        fanout.beside(first, second)


def test_each_keeps_the_order_of_the_items_and_at_most_parallel_in_flight():
    lock = threading.Lock()
    now = peak = 0

    def step(x: int) -> int:
        nonlocal now, peak
        with lock:
            now += 1
            peak = max(peak, now)
        threading.Event().wait(0.01 * (x % 3))  # finishing out of order
        with lock:
            now -= 1
        return x * x

    assert fanout.each(step, list(range(20)), parallel=4) == [x * x for x in range(20)]
    assert 1 < peak <= 4


def test_each_runs_every_item_and_raises_the_first_failure_in_item_order():
    ran: list[int] = []

    def step(x: int) -> int:
        ran.append(x)
        if x in (3, 7):
            raise ValueError(f"item {x}")
        return x

    with pytest.raises(ValueError, match="item 3"):
        fanout.each(step, list(range(10)), parallel=3)
    assert sorted(ran) == list(range(10))
    assert fanout.each(step, [], parallel=8) == [] and fanout.each(step, [5], parallel=8) == [5]
