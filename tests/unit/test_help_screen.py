"""What a user reads in `isc --help` and `isc GROUP --help`: each command's summary is one flowing
paragraph, however its docstring is wrapped in the source."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest

from iscsi_client.cli.app import command


def _help(*words: str) -> str:
    env = {**os.environ, "COLUMNS": "400", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "iscsi_client", *words, "--help"], capture_output=True,
                          text=True, env=env, check=True)
    return done.stdout


def _groups() -> list[tuple[list[str], click.Group]]:
    root = command()
    assert isinstance(root, click.Group)
    found: list[tuple[list[str], click.Group]] = [([], root)]
    for name, sub in root.commands.items():
        if isinstance(sub, click.Group):
            found.append(([name], sub))
    return found


@pytest.mark.parametrize("words,group", _groups(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_command_summary_is_one_line_in_the_command_list(words: list[str], group: click.Group):
    screen = _help(*words)
    for name, sub in group.commands.items():
        first = " ".join((sub.help or "").split("\n\n", 1)[0].split())
        rows = [line for line in screen.splitlines() if line.startswith(f"│ {name} ")]
        assert rows, f"{name} missing from {' '.join(['isc', *words, '--help'])}"
        # The whole summary on the command's own row: no line break kept from the docstring.
        assert first in " ".join(rows[0].strip("│ ").split()), rows[0]
