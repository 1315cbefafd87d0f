"""A live status line (rich spinner) for long waits, on a terminal only; nothing under --json or in pipes."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def progress_display(*, enabled: bool) -> Progress:
    """``with progress_display(enabled=...) as progress``: ``progress`` shows a line, or is None where nothing
    is shown."""
    return Progress(enabled=enabled)


class Progress:
    """The with block of progress_display (a class, not a contextlib generator: contextlib costs start-up in
    every login and discover)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._status: Any = None

    def __enter__(self) -> Callable[[str], None] | None:
        if not self.enabled or not sys.stderr.isatty():
            return None
        from rich.console import Console

        status = Console(stderr=True).status("")

        def update(message: str) -> None:
            status.update(message)
            if self._status is None:
                status.start()
                self._status = status

        return update

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
