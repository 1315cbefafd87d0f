"""Running the same blocking step for many items side by side (logins, logouts, host scans, device
deletes), at most N at once, results in the order of the items.

The steps wait on other processes or on the kernel (an iscsiadm exec, a write to a sysfs file that returns
when the kernel is done), so threads are enough: the interpreter is idle while they wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

IN_FLIGHT = 16  # logins, logouts, scans, deletes at once by default: iscsid runs logins side by side, as at boot

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")
    R = TypeVar("R")


def each(step: Callable[[T], R], items: Sequence[T], *, parallel: int) -> list[R]:
    """``[step(x) for x in items]``, ``parallel`` at a time; an exception in a step is raised here once
    every started step has ended (catch it inside ``step`` to keep one outcome per item)."""
    if parallel <= 1 or len(items) <= 1:
        return [step(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(parallel, len(items)), thread_name_prefix="isc") as pool:
        return list(pool.map(step, items))


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
    finally:
        worker.join()
    if failed:
        raise failed[0]
    return got[0], other
