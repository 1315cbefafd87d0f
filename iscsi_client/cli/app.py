"""The isc application: global options, command groups, and the one place that turns errors into
messages and exit codes."""

from __future__ import annotations

import copy
import dataclasses
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import typer
from click.core import ParameterSource

from iscsi_client import __version__
from iscsi_client.cli.completers import LATE_ROOT
from iscsi_client.cli.context import Ctx
from iscsi_client.cli.help_layout import SectionedCommand, SectionedGroup
from iscsi_client.cli.report import invoked_command, os_error, report_error, stdout_gone, wants_json
from iscsi_client.errors import IscError
from iscsi_client.system.root import Root

app = typer.Typer(
    name="isc",
    help="Set up iSCSI initiators the right way: discover, CHAP, login, devices, fstab, multipath, doctor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help screens (cli/help_layout.py), for the whole tree
    cls=SectionedGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"isc {__version__}\n")
        raise typer.Exit()


@app.callback()
def root_options(
    ctx: typer.Context,
    root: Path = typer.Option(Path("/"), "--root", metavar="DIR", file_okay=False,
                              help="Operate on files under DIR (an image or a snapshot); never runs tools."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output (an object with arrays)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show commands and file changes; change nothing."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show each command as it runs (secrets masked)."),
    timeout: float = typer.Option(120.0, "--timeout", metavar="SECONDS",
                                  help="Limit for each iscsiadm run; a login waits at least as long as iscsid "
                                       "retries it (initial_login_retry_max x login_timeout)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Global options: isc [OPTIONS] COMMAND [ARGS]...; --json, --dry-run, --verbose, --timeout and --root
    are also accepted after the command (isc status --json)."""
    ctx.obj = Ctx.of(root, json=json_out, dry_run=dry_run, verbose=verbose, timeout=timeout)


# The commands in --help's order. A command is the function <name>_cmd of its module and a group the module's
# typer app; the module is cli/<name>.py unless SHARED_MODULE names another. A module is imported only when
# its command is built: `isc status` imports cli/status.py and what it uses, not the other commands' modules
# (about 1 ms each here, 15 ms each under TCG in the lab guest).
COMMANDS = ("connect", "disconnect", "apply", "discover", "nodes", "chap", "login", "logout", "startup", "initiator",
            "iface", "rescan", "sessions", "status", "persist", "unpersist", "multipath", "tune", "bench", "doctor",
            "metrics", "config", "completion")
GROUPS = frozenset({"nodes", "initiator", "iface", "multipath", "doctor", "metrics", "config", "completion"})
SHARED_MODULE = {"disconnect": "connect", "apply": "connect", "logout": "login", "unpersist": "persist"}


def typer_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The typer app with the named commands (all of them when None), their modules imported now."""
    import importlib

    source = copy.copy(app)
    source.registered_commands, source.registered_groups = [], []
    for name in COMMANDS if names is None else names:
        module = importlib.import_module(f"iscsi_client.cli.{SHARED_MODULE.get(name, name)}")
        if name in GROUPS:
            source.add_typer(_sectioned(module.app), name=name, cls=SectionedGroup)
        else:
            source.command(name, cls=SectionedCommand)(getattr(module, f"{name}_cmd"))
    return source


def _sectioned(group: typer.Typer) -> typer.Typer:
    """A copy of a group's typer app whose commands show their help by section (cli/help_layout.py); the
    module's own app is left as it is."""
    out = copy.copy(group)
    out.registered_commands = []
    for info in group.registered_commands:
        info = copy.copy(info)
        if info.cls in (None, typer.core.TyperCommand):  # typer's own default, not a class of isc's
            info.cls = SectionedCommand
        out.registered_commands.append(info)
    return out


def _summarise(group: click.Group) -> None:
    """Give each subcommand its summary for the command list of --help: the whole first paragraph of its
    help as one line, which the list wraps (click would cut the help at about 45 characters, with "...")."""
    for sub in group.commands.values():
        if not sub.short_help and sub.help:
            sub.short_help = " ".join(sub.help.split("\n\n", 1)[0].split())
        if isinstance(sub, click.Group):
            _summarise(sub)


def command(args: list[str] | None = None) -> click.Command:
    """The click command tree isc runs. Given the argv, only the branch of the command named in it is
    built (typer builds every command's parameters, about 10 ms here and 0.4 s in the TCG lab); without
    one, or for a word that is no command (click then suggests the close ones), the whole tree."""
    name = invoked_command(args) if args is not None else None
    wanted: list[str] | None = None
    if name is not None and name in COMMANDS:
        wanted = [name]
    if args is not None and _only_the_list(args):
        return _listing()
    source = typer_app(wanted)
    cmd = typer.main.get_command(source)
    if isinstance(cmd, click.Group):
        _summarise(cmd)
        for sub in cmd.commands.values():
            _accept_global_options(sub)
    return cmd


def _only_the_list(args: list[str]) -> bool:
    """`isc`, `isc --help` (with global options): the screen shows the global options and each command's
    name and summary, and no command can run (no command word, no "--" after which one could stand)."""
    return invoked_command(args) is None and "--" not in args and (not args or "--help" in args or "-h" in args)


def _listing() -> click.Command:
    """The root with its global options and, for each command, a stand-in with its name and summary from the
    table cli/tab_build.py generates from the whole tree (cli/tab_table.py): `isc --help` renders the
    same screen without importing and building 23 command modules (tests/unit/test_help_screen.py)."""
    from iscsi_client.cli.tab import command_table

    root = typer.main.get_command(typer_app([]))
    assert isinstance(root, click.Group)
    for name, summary in command_table()[""]["commands"]:
        root.add_command(click.Command(name, short_help=summary, help=summary))
    return root


GLOBAL_PANEL = "Global options (also before the command)"


def _late_global(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """A global option given after the command word: it overrides what the root callback set."""
    if param.name is None or ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
        return
    top = ctx.find_root()
    if param.name == "root":
        top.meta[LATE_ROOT] = value  # for TAB completion, which runs no command callback
    if not isinstance(top.obj, Ctx):
        return
    changes: dict[str, Any] = {param.name: value}
    if param.name == "root":
        changes["root"] = Root(os.path.realpath(str(value)))
    top.obj = dataclasses.replace(top.obj, **changes)


def _accept_global_options(cmd: click.Command) -> None:
    """Let a sysadmin write `isc status --json` or `isc login T -n` as well as `isc --json status`, the way
    systemctl and nvme-cli take their options anywhere. Added to each command and group of the branch
    built, not declared on each typer function; the man page lists them once, under GLOBAL OPTIONS."""
    def flag(names: list[str], name: str, text: str) -> click.Option:
        return click.Option(names, name, is_flag=True, default=False, expose_value=False,
                            callback=_late_global, help=text)

    added = [
        flag(["--json"], "json", "Machine-readable output."),
        flag(["--dry-run", "-n"], "dry_run", "Show commands and file changes; change nothing."),
        flag(["--verbose", "-v"], "verbose", "Show each command as it runs (secrets masked)."),
        click.Option(["--timeout"], "timeout", type=float, metavar="SECONDS", expose_value=False,
                     callback=_late_global, help="Limit for each iscsiadm run; a login waits at least as long "
                     "as iscsid retries it (initial_login_retry_max x login_timeout)."),
        click.Option(["--root"], "root", type=click.Path(file_okay=False), metavar="DIR", expose_value=False,
                     callback=_late_global, help="Operate on files under DIR."),
    ]
    for option in added:
        option.show_default = False  # their defaults are the root's, shown in `isc --help`
    taken = {opt for p in cmd.params for opt in p.opts}
    for option in added:
        if not taken.intersection(option.opts):
            option.rich_help_panel = GLOBAL_PANEL  # type: ignore[attr-defined]
            cmd.params.append(option)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _accept_global_options(sub)


def _once(message: str) -> str:
    """A message with each sentence once (click and typer both add "Did you mean ...?")."""
    import re

    sentences: list[str] = []
    for sentence in re.split(r"(?<=[.?!])\s+", message):
        if sentence not in sentences:
            sentences.append(sentence)
    return " ".join(sentences)


def _no_help_screens(group: click.Command) -> None:
    """Under --json a command group named without its subcommand is a usage error (one JSON document), not
    the help screen click prints for a person."""
    if isinstance(group, click.Group):
        for sub in group.commands.values():
            if isinstance(sub, click.Group) and not sub.invoke_without_command:
                sub.no_args_is_help = False
            _no_help_screens(sub)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        tree = command(args)
        if wants_json(args):
            _no_help_screens(tree)
        rv = tree.main(args=args, prog_name="isc", standalone_mode=False)
    except IscError as err:
        sys.exit(report_error(err, args))
    except click.exceptions.UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `isc` alone: the help screen is shown, no error line
            if e.format_message():
                sys.stdout.write(e.format_message() + "\n")
            sys.exit(e.exit_code)
        from iscsi_client.errors import UsageError

        sys.exit(report_error(UsageError(_once(e.format_message()), hint="see 'isc --help' or 'isc COMMAND --help'"),
                              args))
    except BrokenPipeError as e:  # the reader went away mid-output: cli/entry.py ends quietly
        if stdout_gone():
            raise
        sys.exit(report_error(os_error(e), args))
    except OSError as e:
        sys.exit(report_error(os_error(e), args))
    except click.exceptions.Abort:
        sys.stderr.write("isc: aborted\n")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.stderr.write("isc: interrupted\n")
        sys.exit(130)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    sys.exit(rv if isinstance(rv, int) else 0)
