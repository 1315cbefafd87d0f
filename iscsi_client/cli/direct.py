"""The commands run without click or typer: status, sessions, doctor, metrics and multipath status (what
monitoring loops, the metrics timer and scripts run many times a minute), login, logout and discover (dozens of
targets, scripts, the lab's many runs), connect and disconnect (Ansible runs them on every host of a fleet).

Importing click and typer alone is about three times `python -c pass` (more under software emulation), before a
line of isc runs. These commands' words are parsed here with click's rules, from the table cli/tab_build.py
generates from the typer tree (cli/tab_table.py, the one TAB uses): long options with their value as the next
word or after "=", single short options with their value as the next word, arguments in order among the options,
global options before or after the command word (a later one wins, as the tree's late options do). Anything
else (--help, --version, bundled or attached short options, "--", a value that looks like an option, a value
click would refuse, a missing argument, a subcommand such as `doctor explain`, a word that is no option) is
declined, and the typer tree runs as before: it gives the help screens, the usage errors and the prompts.
tests/unit/test_direct.py holds the two paths to the same call, output and exit code."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from iscsi_client.cli.context import Ctx

# command path -> (module of cli/, function): the function takes the Ctx and the command's own parameters,
# as keywords named as in the typer command, with its defaults (the typer command calls it the same way)
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("readers", "status"),
    "sessions": ("readers", "sessions"),
    "doctor": ("readers", "doctor"),
    "metrics": ("readers", "metrics"),
    "multipath status": ("readers", "multipath_status"),
    "login": ("login_run", "login"),
    "logout": ("login_run", "logout"),
    "discover": ("discover_run", "discover"),
    "connect": ("connect_run", "connect"),
    "disconnect": ("connect_run", "disconnect"),
}
GROUPS_WITH_ONE = {"multipath": "status"}  # a group whose one subcommand run here follows it
# the global options: the name of each in the table (root callback's or the late copy's) -> the Ctx field
GLOBALS = {"root": "root", "json_out": "json", "json": "json", "dry_run": "dry_run", "verbose": "verbose",
           "timeout": "timeout"}


class Decline(Exception):
    """These words are left to the typer tree (help, errors, anything not parsed here)."""


def parse(args: list[str], table: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The command path, its keywords and the global settings (Ctx fields), as the typer tree would pass
    them; Decline where this parser does not follow click all the way."""
    settings: dict[str, Any] = {}
    rest = _words(args, table[""], settings, {})
    if not rest:
        raise Decline
    path = rest.pop(0)
    if path in GROUPS_WITH_ONE:
        rest = _words(rest, table[path], settings, {})
        if not rest or rest[0] != GROUPS_WITH_ONE[path]:
            raise Decline
        path = f"{path} {rest.pop(0)}"
    if path not in COMMANDS:
        raise Decline
    given: dict[str, Any] = {}
    positional = _words(rest, table[path], settings, given)
    for p in table[path]["params"]:
        if p["kind"] != "argument":
            continue
        if p["nargs"] == -1:
            if positional:
                given[p["name"]] = tuple(_convert(p["type"], w) for w in positional)
            elif p["required"]:
                raise Decline
            positional = []
        elif positional:
            given[p["name"]] = _convert(p["type"], positional.pop(0))
        elif p["required"]:
            raise Decline
    if positional:
        raise Decline  # an extra argument, or a subcommand (doctor explain, metrics install)
    return path, given, settings


def _words(words: list[str], spec: Mapping[str, Any], settings: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Take this command's options from ``words`` (up to its first positional word where the command allows
    no options among its arguments); return the positional words, and what follows them in that case."""
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
        if p["type"] == "flag":  # a plain on-flag (False unless given); counts and off-flags are left to click
            if eq:
                raise Decline
            converted: Any = True
        elif not p["takes_value"]:
            raise Decline
        else:
            if not eq:
                if not rest:
                    raise Decline
                value = rest.pop(0)
            if value.startswith("-") or not value:
                raise Decline
            converted = _convert(p["type"], value, as_path=p["name"] not in GLOBALS)
        if p["name"] in GLOBALS:
            settings[GLOBALS[p["name"]]] = converted
        elif p["multiple"]:
            given[p["name"]] = (*given.get(p["name"], ()), converted)
        else:
            given[p["name"]] = converted
    return positional


def _convert(kind: str, value: str, *, as_path: bool = True) -> Any:
    """A value as click converts it, or Decline where click would refuse it (its usage error names the option).
    A path stays a string unless ``as_path`` (--root: the Ctx takes a string, and pathlib is not imported)."""
    if kind == "text":
        return value
    number, *bounds = kind.split()
    try:
        if number == "int":
            n = int(value)
            low, high = (None if b == "None" else int(b) for b in bounds) if bounds else (None, None)
            if (low is not None and n < low) or (high is not None and n > high):
                raise Decline
            return n
        if kind == "float":
            return float(value)
    except ValueError:
        raise Decline from None
    if kind in ("dir", "path"):  # click.Path: an existing path must be readable, and a directory for "dir"
        from iscsi_client.system.files import usable_path_argument

        if not usable_path_argument(value, directory=kind == "dir"):
            raise Decline
        if not as_path:
            return value
        from pathlib import Path  # what typer passes for a click.Path (readers.metrics' --textfile, ...)

        return Path(value)
    raise Decline


def context(settings: Mapping[str, Any]) -> Ctx:
    """The Ctx the root callback would build from these settings."""
    from iscsi_client.cli.context import Ctx

    return Ctx.of(**settings)


def run(args: list[str]) -> int | None:
    """The exit code of a command run here, or None: the typer tree should run these words."""
    if args == ["--version"]:  # what the tree's eager option prints, without loading typer (0.7 s in the lab guest)
        from iscsi_client import __version__

        sys.stdout.write(f"isc {__version__}\n")
        return 0
    from iscsi_client.cli.report import invoked_command

    if invoked_command(args) not in (*COMMANDS, *GROUPS_WITH_ONE):
        return None
    from iscsi_client.cli.tab_table import TABLE  # what cli/tab.py's command_table() gives, without TAB's code

    try:
        path, keywords, settings = parse(args, TABLE)
    except Decline:
        return None
    from iscsi_client.cli.report import os_error, report_error, stdout_gone
    from iscsi_client.errors import IscError

    module, name = COMMANDS[path]
    qualified = f"iscsi_client.cli.{module}"
    __import__(qualified)  # the statement's own machinery: importlib (with warnings) costs start-up
    function = getattr(sys.modules[qualified], name)
    try:
        return int(function(context(settings), **keywords))
    except IscError as err:
        return report_error(err, args)
    except BrokenPipeError as e:  # the reader went away mid-output: cli/entry.py ends quietly
        if stdout_gone():
            raise
        return report_error(os_error(e), args)
    except OSError as e:
        return report_error(os_error(e), args)
    except KeyboardInterrupt:
        sys.stderr.write("isc: interrupted\n")
        return 130
