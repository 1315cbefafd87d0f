"""Column specs drive both the human table and the JSON (nvme-cli/lsblk style).

JSON is always an object with ``schema_version`` and arrays under stable snake_case keys; raw values
(integers, null) where tables show text. Only cli/ calls this module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence

from iscsi_client.records import record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1


@record
class Column:
    key: str  # JSON field name (snake_case, stable)
    header: str  # table header
    get: Callable[[Any], object]
    table: bool = True  # shown in the table (JSON always has every column)


def rows_as_dicts(columns: Sequence[Column], rows: Sequence[object]) -> list[dict[str, object]]:
    return [{c.key: c.get(r) for c in columns} for r in rows]


def emit_json(payload: dict[str, object]) -> None:
    """Indented for a person at a terminal; one compact line for pipes (json's fast C encoder)."""
    doc = {"schema_version": SCHEMA_VERSION, **payload}
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(doc, indent=indent, default=str) + "\n")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def print_table(columns: Sequence[Column], rows: Sequence[object], *, title: str | None = None,
                empty: str = "nothing to show") -> None:
    shown = [c for c in columns if c.table]
    cells = [[_cell(c.get(r)) for c in shown] for r in rows]
    if not sys.stdout.isatty():
        sys.stdout.write(plain_table([c.header.upper() for c in shown], cells, title=title, empty=empty))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=True, highlight=False)
    if not rows:
        console.print(empty, markup=False)
        return
    table = Table(title=title, box=None, pad_edge=False, header_style="bold")
    for c in shown:
        table.add_column(c.header.upper(), overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def plain_table(headers: Sequence[str], cells: Sequence[Sequence[str]], *, title: str | None = None,
                empty: str = "nothing to show") -> str:
    """The table for pipes and logs, like lsblk's: aligned columns two spaces apart, whole values (never
    wrapped or cut), no colour, no trailing blanks. rich is not imported on this path."""
    if not cells:
        return empty + "\n"
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = [title] if title else []
    for row in (headers, *cells):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def say(message: str) -> None:
    """A line for humans on stdout."""
    sys.stdout.write(message + "\n")


def note(message: str) -> None:
    """A line for humans on stderr (progress, warnings, commands under -v)."""
    sys.stderr.write(message + "\n")
