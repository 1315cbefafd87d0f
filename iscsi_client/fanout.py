"""Running the same blocking step for many items side by side (logins, logouts, host scans, device
deletes), at most N at once, results in the order of the items.

The steps wait on other processes or on the kernel (an iscsiadm exec, a write to a sysfs file that returns
when the kernel is done), so threads are enough: the interpreter is idle while they wait.
"""

from __future__ import annotations

IN_FLIGHT = 16  # logins, logouts, scans, deletes at once by default: iscsid runs logins side by side, as at boot
MODULES = ("threading",)  # what running steps side by side imports (for iscsi_client.preload)

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
    import threading

    results: list[Any] = [_MISSING] * len(items)
    failures: dict[int, BaseException] = {}
    taken = iter(range(len(items)))
    turn = threading.Lock()

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

    workers = [threading.Thread(target=work, name=f"isc-{n}") for n in range(min(parallel, len(items)))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise failures[min(failures)]
    return results


_MISSING = object()


def beside(first: Callable[[], R], second: Callable[[], T]) -> tuple[R, T]:
    """``(first(), second())`` with ``first`` in a thread of its own while ``second`` runs here; when either
    raises, the exception is raised once both have ended (``first``'s when both raise). A plain thread: two
    steps do not need concurrent.futures' pool, whose import costs start-up."""
    import threading

    got: list[R] = []
    failed: list[BaseException] = []

    def run_first() -> None:
        try:
            got.append(first())
        except BaseException as e:  # raised again in the caller's thread below
            failed.append(e)

    worker = threading.Thread(target=run_first, name="isc-beside")
    worker.start()
    try:
        other = second()
    except BaseException:
        worker.join()
        if failed:  # both raised: the first step's exception, as documented
            raise failed[0] from None
        raise
    worker.join()
    if failed:
        raise failed[0]
    return got[0], other
