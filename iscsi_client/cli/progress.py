"""A live status line (rich spinner) for long waits, on a terminal only; nothing under --json or in pipes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_display(*, enabled: bool) -> Iterator[Callable[[str], None] | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True)
    status = console.status("")
    started = False

    def update(message: str) -> None:
        nonlocal started
        status.update(message)
        if not started:
            status.start()
            started = True

    try:
        yield update
    finally:
        if started:
            status.stop()
