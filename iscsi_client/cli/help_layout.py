"""The layout of isc's help screens: click's plain text (the look of iscsiadm, systemctl and git: no boxes,
at most 80 columns, readable in a pipe and by grep), with a command's options in the sections its
declarations name (typer's rich_help_panel: "CHAP", "Global options (also before the command)", ...).

typer draws these sections as rich panels; its renderer and rich's imports were about 40 ms of the 105 ms
`isc --help` took in a regular install, against 10 ms for `python -c pass` (bench/README.md)."""

from __future__ import annotations

import click
from typer.core import TyperCommand, TyperGroup


def sections(cmd: click.Command, ctx: click.Context) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each section's title and (term, text) rows: Arguments, Options, then each named section in the order
    its first option is declared. Hidden parameters are left out, as click leaves them out."""
    found: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
    for param in cmd.get_params(ctx):
        row = param.get_help_record(ctx)
        if row is None:
            continue
        default = "Arguments" if param.param_type_name == "argument" else "Options"
        found.setdefault(getattr(param, "rich_help_panel", None) or default, []).append(row)
    return [(title, rows) for title, rows in found.items() if rows]


def _write(cmd: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    for title, rows in sections(cmd, ctx):
        with formatter.section(title):
            formatter.write_dl(rows)


class SectionedCommand(TyperCommand):
    """A command whose help shows its options by section, in plain text."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write(self, ctx, formatter)


class SectionedGroup(TyperGroup):
    """A group whose help shows its options by section, then its commands, in plain text."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write(self, ctx, formatter)
        self.format_commands(ctx, formatter)
