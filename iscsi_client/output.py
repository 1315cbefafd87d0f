"""Column specs drive both the human table and the JSON (nvme-cli/lsblk style).

JSON is always an object with ``schema_version`` and arrays under stable snake_case keys; raw values
(integers, null) where tables show text. Only cli/ calls this module.
"""

from __future__ import annotations

import sys

from iscsi_client.records import record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
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
    import json  # here: a command answering in text has no use for it (about 20 ms of a start in the TCG lab)

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
    from rich.text import Text

    console = Console(soft_wrap=True, highlight=False)
    if not rows:
        console.print(empty, markup=False)
        return
    table = Table(title=title, box=None, pad_edge=False, header_style="bold")
    for c in shown:
        table.add_column(c.header.upper(), overflow="fold")
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))  # system text, never markup: /srv/[a] stays as it is
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


class Branch:
    """A line of a tree (isc status) and the lines under it. A line is made of parts, each plain text or
    (text, style); text is never read as markup, so a mount point like /srv/[a] shows as it is."""

    __slots__ = ("parts", "children")

    def __init__(self, *parts: str | tuple[str, str]) -> None:
        self.parts = parts
        self.children: list[Branch] = []

    def add(self, *parts: str | tuple[str, str]) -> Branch:
        child = Branch(*parts)
        self.children.append(child)
        return child


# SGR codes (ECMA-48) of the few styles isc uses on a terminal
STYLES = {"bold": "1", "red": "31", "yellow": "33"}
GUIDES = {True: ("├── ", "└── ", "│   ", "    "), False: ("|-- ", "`-- ", "|   ", "    ")}


def styled(parts: Sequence[str | tuple[str, str]], colour: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif colour:
            out.append(f"\x1b[{STYLES[part[1]]}m{part[0]}\x1b[0m")
        else:
            out.append(part[0])
    return "".join(out)


def tree_lines(root: Branch, *, colour: bool = False, unicode: bool = True) -> list[str]:
    """The tree as `tree` and lsblk draw it: each line whole (a terminal wraps it, a pipe keeps it), the
    guides in UTF-8 box drawing or, for another encoding, ASCII."""
    mid, last, down, blank = GUIDES[unicode]
    lines = [styled(root.parts, colour)]

    def walk(node: Branch, prefix: str) -> None:
        for i, child in enumerate(node.children):
            end = i == len(node.children) - 1
            lines.append(prefix + (last if end else mid) + styled(child.parts, colour))
            walk(child, prefix + (blank if end else down))

    walk(root, "")
    return lines


def colour_wanted() -> bool:
    """Colour on a terminal only, and not with NO_COLOR set (no-color.org) or TERM=dumb."""
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def print_lines(lines: Sequence[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def unicode_out() -> bool:
    return (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") in ("utf8", "utf_8")


def say(message: str) -> None:
    """A line for humans on stdout."""
    sys.stdout.write(message + "\n")


def note(message: str) -> None:
    """A line for humans on stderr (progress, warnings, commands under -v)."""
    sys.stderr.write(message + "\n")
