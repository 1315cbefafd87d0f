"""The table cli/tab.py answers TAB from, read off the click tree isc runs, and click's own answer, which
cli/tab.py must give byte for byte (tests/unit/test_tab.py holds it to that on every command).

    python -m iscsi_client.cli.tab_build > iscsi_client/cli/tab_table.py

Nothing here runs on a TAB press: importing click and typer alone is about three times `python -c pass`,
which is why TAB does not go through them."""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Callable
from typing import Any

import click

from iscsi_client.cli import completers


def click_tree() -> click.Command:
    """The whole command tree, as `isc` builds it, with path values completed by the shell."""
    from iscsi_client.cli.app import command

    return _shell_completes_paths(command())


def _shell_completes_paths(cmd: click.Command) -> click.Command:
    """File and directory values (--root DIR, --password-file FILE, the dump to restore) are completed by
    the shell from the file system. Typer's path type answers a completion request with nothing, which
    left TAB silent there; click's own answer tells the shell to complete a file or a directory."""
    for param in cmd.params:
        if isinstance(param.type, click.Path) and param._custom_shell_complete is None:
            param.type.shell_complete = types.MethodType(click.Path.shell_complete, param.type)  # type: ignore[method-assign]
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _shell_completes_paths(sub)
    return cmd


def click_answer(environ: dict[str, str], tree: click.Command | None = None) -> str:
    """What click answers a completion request (the environment the shell scripts set), as printed."""
    from click.shell_completion import get_completion_class

    from iscsi_client.cli.entry import COMPLETE_VAR

    shell, _, _action = environ[COMPLETE_VAR].partition("_")
    cls = get_completion_class(shell)
    assert cls is not None
    saved = dict(os.environ)
    os.environ.update(environ)
    try:
        return cls(tree or click_tree(), {}, "isc", COMPLETE_VAR).complete() + "\n"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _completer(param: click.Parameter) -> tuple[Any, ...] | None:
    """How a parameter's values are completed: ("call", function in cli/completers.py, its arguments),
    ("choice", values), ("path", "dir" | "file"), or None (nothing to offer)."""
    custom = param._custom_shell_complete
    if custom is not None:
        # typer wraps the declared function twice: its compat closure holds typer's wrapper, which keeps
        # the declared function as __wrapped__
        cells = dict(zip(custom.__code__.co_freevars, (c.cell_contents for c in custom.__closure__ or ()), strict=True))
        declared: Callable[..., Any] = cells["autocompletion"].__wrapped__
        if getattr(completers, declared.__name__, None) is not declared:
            raise ValueError(f"{param.name}: completer {declared.__qualname__} is not in cli/completers.py")
        names = tuple(inspect.signature(declared).parameters)
        if not set(names) <= {"ctx", "incomplete"}:
            raise ValueError(f"{declared.__name__}: a completer takes ctx and/or incomplete, not {names}")
        return ("call", declared.__name__, names)
    kind = param.type
    if isinstance(kind, click.Path):
        return ("path", "dir" if kind.dir_okay and not kind.file_okay else "file")
    if isinstance(kind, click.Choice):
        if not kind.case_sensitive:
            raise ValueError(f"{param.name}: a case-insensitive choice is not supported by cli/tab.py")
        return ("choice", tuple(item.value for item in kind.shell_complete(click.Context(click.Command("x")),
                                                                            param, "")))
    if type(kind).shell_complete is not click.ParamType.shell_complete:
        raise ValueError(f"{param.name}: {type(kind).__name__} completes values in a way cli/tab.py does not know")
    return None


def _param(param: click.Parameter) -> dict[str, Any]:
    if isinstance(param, click.Argument):
        return {"kind": "argument", "name": param.name, "nargs": param.nargs, "complete": _completer(param),
                "required": param.required, "type": _value_type(param)}
    assert isinstance(param, click.Option)
    if param._flag_needs_value or (param.nargs != 1 and not param.is_flag):
        raise ValueError(f"{param.name}: an option with an optional value or several values is not supported")
    takes_value = not (param.is_flag or param.count)
    # click builds the help option's names from a set: their order changes from one process to the next
    opts = tuple(sorted(param.opts)) if param.name == "help" else tuple(param.opts)
    return {"kind": "option", "name": param.name, "opts": opts,
            "secondary": tuple(param.secondary_opts), "takes_value": takes_value,
            "multiple": param.multiple, "hidden": param.hidden, "help": param.help,
            "complete": _completer(param) if takes_value else None,
            "type": _value_type(param) if takes_value else
            "flag" if param.is_flag and param.flag_value is True and not param.default else "other"}


# A click.Path that only refuses a regular file (typer's `Path` with file_okay=False): cli/direct.py checks that
PLAIN_DIR = {"exists": False, "file_okay": False, "dir_okay": True, "writable": False, "readable": True,
             "executable": False, "resolve_path": False, "allow_dash": False}


def _value_type(param: click.Parameter) -> str:
    """How a value is converted, for cli/direct.py: "int" and "float" (click's plain number types), "int MIN MAX"
    (a closed range), "text", "dir" (see PLAIN_DIR), "path" (the same, files allowed); "other" for what
    cli/direct.py leaves to click (choices, files, open ranges...)."""
    kind = param.type
    if param.envvar is not None or param.callback is not None and param.expose_value:
        return "other"  # values that may come from the environment or be changed by a callback
    if type(kind) is click.types.IntParamType:
        return "int"
    if type(kind) is click.IntRange and not (kind.min_open or kind.max_open or kind.clamp):
        return f"int {kind.min} {kind.max}"  # bounds included; None for no bound
    if type(kind) is click.types.FloatParamType:
        return "float"
    if type(kind) is click.types.StringParamType:
        return "text"
    if isinstance(kind, click.Path) and all(getattr(kind, k) == v for k, v in PLAIN_DIR.items()):
        return "dir"
    if isinstance(kind, click.Path) and all(getattr(kind, k) == v for k, v in {**PLAIN_DIR, "file_okay": True}.items()):
        return "path"  # any path; an existing one must be readable
    return "other"


def _walk(cmd: click.Command, path: str, parent: click.Context | None, out: dict[str, Any]) -> None:
    ctx = click.Context(cmd, info_name=path.rpartition(" ")[2] or "isc", parent=parent, **cmd.context_settings)
    params = cmd.get_params(ctx)
    arguments = [p for p in params if isinstance(p, click.Argument)]
    if any(p.nargs < -1 or p.nargs == 0 or p.nargs > 1 for p in arguments) or \
            any(p.nargs == -1 for p in arguments[:-1]):
        raise ValueError(f"{path or 'isc'}: only one-value arguments and a last variadic one are supported")
    if cmd.context_settings.get("ignore_unknown_options") or ctx.token_normalize_func is not None:
        raise ValueError(f"{path or 'isc'}: unknown options or normalised tokens are not supported")
    entry: dict[str, Any] = {"interspersed": ctx.allow_interspersed_args, "commands": None,
                             "params": [_param(p) for p in params]}
    out[path] = entry
    if isinstance(cmd, click.Group):
        if cmd.chain:
            raise ValueError(f"{path}: chained groups are not supported")
        entry["commands"] = []
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            entry["commands"].append((name, sub.get_short_help_str()))
            _walk(sub, f"{path} {name}".strip(), ctx, out)


def table() -> dict[str, Any]:
    """Each command path ("" for isc itself, "nodes set") with its subcommands and parameters."""
    out: dict[str, Any] = {}
    _walk(click_tree(), "", None, out)
    return out


def source() -> str:
    """The table as cli/tab_table.py holds it: a Python dict literal, one command path per line. Python keeps
    it compiled (the .pyc): loading it takes about a fifth of a millisecond here, where importing json to read
    the same table took over one (about 20 ms of a command in the TCG lab guest)."""
    entries = [f"    {path!r}: {spec!r}," for path, spec in table().items()]
    return ('"""The command tree as data, for TAB (cli/tab.py), the commands run without click (cli/direct.py) '
            'and\nthe command list of `isc --help`. Generated: python -m iscsi_client.cli.tab_build > '
            'iscsi_client/cli/tab_table.py"""\n'
            "# ruff: noqa: E501\n\n"
            "TABLE = {\n" + "\n".join(entries) + "\n}\n")


if __name__ == "__main__":
    import sys

    sys.stdout.write(source())
