"""The read-only commands run without click or typer: `isc [GLOBAL...] status|sessions|doctor|metrics|multipath
status [OPTIONS]`, what monitoring loops, the metrics timer and scripts run many times a minute.

Importing click and typer alone is about three times `python -c pass` (more under software emulation), before
a line of isc runs. These commands take only flags and plain values, so their words are parsed here with
click's rules, from the table cli/tab_build.py generates from the typer tree (cli/tab_table.json, the one TAB
uses): long options with their value as the next word or after "=", single short flags, global options before
or after the command word (a later one wins, as the typer tree's late options do). Anything else (--help,
--version, bundled or attached short options, "--", a value that looks like an option, a value click would
refuse, a subcommand such as `doctor explain`, a word that is no option) is declined, and the typer tree runs
as before: it gives the help screens, the usage errors and the prompts. tests/unit/test_direct.py holds the
two paths to the same call, output and exit code."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from iscsi_client.cli.context import Ctx

# command path -> (function of cli/readers.py, {parameter of the typer command: keyword of that function})
COMMANDS: dict[str, tuple[str, dict[str, str]]] = {
    "status": ("status", {}),
    "sessions": ("sessions", {"sids": "sids", "show_details": "show_details"}),
    "doctor": ("doctor", {"no_mtu": "no_mtu"}),
    "metrics": ("metrics", {"textfile": "textfile"}),
    "multipath status": ("multipath_status", {}),
}
GROUPS_WITH_ONE = {"multipath": "status"}  # a group whose one read-only subcommand is run here
# the global options: the name of each in the table (root callback's or the late copy's) -> the Ctx field
GLOBALS = {"root": "root", "json_out": "json", "json": "json", "dry_run": "dry_run", "verbose": "verbose",
           "timeout": "timeout"}


class Decline(Exception):
    """These words are left to the typer tree (help, errors, anything not parsed here)."""


def first_word(args: list[str]) -> str | None:
    from iscsi_client.cli.report import invoked_command

    return invoked_command(args)


def parse(args: list[str], table: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The command path, its keywords for cli/readers.py and the global settings (Ctx fields), as the typer
    tree would pass them; Decline where this parser does not follow click all the way."""
    settings: dict[str, Any] = {}
    rest = _options(args, table[""], settings, {})
    if not rest:
        raise Decline
    path = rest.pop(0)
    if path in GROUPS_WITH_ONE:
        rest = _options(rest, table[path], settings, {})
        if not rest or rest[0] != GROUPS_WITH_ONE[path]:
            raise Decline
        path = f"{path} {rest.pop(0)}"
    if path not in COMMANDS:
        raise Decline
    given: dict[str, Any] = {}
    if _options(rest, table[path], settings, given):
        raise Decline  # an argument or a subcommand (doctor explain, metrics install)
    keywords = COMMANDS[path][1]
    if set(given) - set(keywords):
        raise Decline  # an option cli/readers.py does not take
    return path, {keywords[name]: value for name, value in given.items()}, settings


def _options(words: list[str], spec: Mapping[str, Any], settings: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Take this command's options from the front of ``words`` (all of them, where the command allows options
    among its arguments); return the positional words."""
    by_opt = {o: p for p in spec["params"] if p["kind"] == "option" for o in p["opts"]}
    positional: list[str] = []
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if not word.startswith("-") or word == "-":
            if not spec["interspersed"]:
                return [word, *rest]
            positional.append(word)
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        p = by_opt.get(name)
        if p is None or p["name"] in ("help", "version") or p["secondary"]:
            raise Decline
        if p["type"] == "flag":
            if eq:
                raise Decline
            converted: Any = True
        else:
            if not eq:
                if not rest:
                    raise Decline
                value = rest.pop(0)
            if value.startswith("-") or not value:
                raise Decline
            converted = _convert(p["type"], value)
        if p["name"] in GLOBALS:
            settings[GLOBALS[p["name"]]] = converted
        elif p["multiple"]:
            given[p["name"]] = (*given.get(p["name"], ()), converted)
        else:
            given[p["name"]] = converted
    return positional


def _convert(kind: str, value: str) -> Any:
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise Decline from None  # click names the option in its usage error
    if kind == "text":
        return value
    if kind == "dir":  # click.Path(file_okay=False): an existing regular file or an unreadable path is refused
        try:
            st = os.stat(value)
        except OSError:
            return Path(value)
        if stat.S_ISREG(st.st_mode) or not os.access(value, os.R_OK):
            raise Decline
        return Path(value)
    raise Decline


def context(settings: Mapping[str, Any]) -> Ctx:
    """The Ctx the root callback would build from these settings."""
    from iscsi_client.cli.context import Ctx
    from iscsi_client.system.root import Root

    root = settings.get("root", Path("/"))
    fields = {k: v for k, v in settings.items() if k != "root"}
    return Ctx(root=Root(root.resolve() if str(root) != "/" else Path("/")), **fields)


def run(args: list[str]) -> int | None:
    """The exit code of a read-only command run here, or None: the typer tree should run these words."""
    if first_word(args) not in (*COMMANDS, *GROUPS_WITH_ONE):
        return None
    from iscsi_client.cli.tab import _table

    try:
        path, keywords, settings = parse(args, _table())
    except Decline:
        return None
    from iscsi_client.cli import readers
    from iscsi_client.cli.report import os_error, report_error
    from iscsi_client.errors import IscError

    try:
        return getattr(readers, COMMANDS[path][0])(context(settings), **keywords)
    except IscError as err:
        return report_error(err, args)
    except OSError as e:
        return report_error(os_error(e), args)
    except KeyboardInterrupt:
        sys.stderr.write("isc: interrupted\n")
        return 130
