"""Running the same blocking step for many items side by side (logins, logouts, host scans, device
deletes), at most N at once, results in the order of the items.

The steps wait on other processes or on the kernel (an iscsiadm exec, a write to a sysfs file that returns
when the kernel is done), so threads are enough: the interpreter is idle while they wait.

The threads are `_thread`'s, the primitive threading is built on: threading imports functools and with it
collections, about 40 ms of a start in the TCG lab guest, before a teardown's first exec. Every thread
started here is waited for before its function returns, so none is left at exit (threading's join at
shutdown is not needed), and every exception is caught in the thread and raised in the caller's.
"""

from __future__ import annotations

import _thread

IN_FLIGHT = 16  # logins, logouts, scans, deletes at once by default: iscsid runs logins side by side, as at boot

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeVar

    T = TypeVar("T")
    R = TypeVar("R")


def each(step: Callable[[T], R], items: Sequence[T], *, parallel: int) -> list[R]:
    """``[step(x) for x in items]``, ``parallel`` at a time; every item is run, and an exception in a step is
    raised here (the first in the order of the items) once every step has ended (catch it inside ``step`` to
    keep one outcome per item). Plain threads taking the next item in turn: concurrent.futures' pool is not
    imported (with its logging, about 40 ms of start-up in the TCG lab guest)."""
    if parallel <= 1 or len(items) <= 1:
        return [step(x) for x in items]
    results: list[Any] = [_MISSING] * len(items)
    failures: dict[int, BaseException] = {}
    taken = iter(range(len(items)))
    turn = _thread.allocate_lock()

    def work() -> None:
        while True:
            with turn:
                i = next(taken, None)
            if i is None:
                return
            try:
                results[i] = step(items[i])
            except BaseException as e:  # raised again in the caller's thread below
                failures[i] = e

    workers = [_start(work) for _ in range(min(parallel, len(items)))]
    for ended in workers:
        ended.acquire()
    if failures:
        raise failures[min(failures)]
    return results


_MISSING = object()


def _start(run: Callable[[], None]) -> _thread.LockType:
    """``run`` in a new thread (it catches its own exceptions); the lock returned is released when it ends:
    acquiring it waits for the thread."""
    ended = _thread.allocate_lock()
    ended.acquire()

    def thread() -> None:
        try:
            run()
        finally:
            ended.release()

    _thread.start_new_thread(thread, ())
    return ended


def beside(first: Callable[[], R], second: Callable[[], T]) -> tuple[R, T]:
    """``(first(), second())`` with ``first`` in a thread of its own while ``second`` runs here; when either
    raises, the exception is raised once both have ended (``first``'s when both raise). A plain thread: two
    steps do not need concurrent.futures' pool, whose import costs start-up."""
    got: list[R] = []
    failed: list[BaseException] = []

    def run_first() -> None:
        try:
            got.append(first())
        except BaseException as e:  # raised again in the caller's thread below
            failed.append(e)

    worker = _start(run_first)
    try:
        other = second()
    except BaseException:
        worker.acquire()
        if failed:  # both raised: the first step's exception, as documented
            raise failed[0] from None
        raise
    worker.acquire()
    if failed:
        raise failed[0]
    return got[0], other
