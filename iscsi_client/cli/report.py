"""How a failure reaches the user, on every path isc runs (the typer tree and cli/direct.py, which runs the
read-only commands without it): one line and a hint on stderr, or one JSON document under --json; and which
command word an argv names. Neither click nor typer is imported here."""

from __future__ import annotations

import os
import sys

from iscsi_client.errors import EXIT_ENVIRONMENT, IscError


def wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def report_error(err: IscError, argv: list[str]) -> int:
    if wants_json(argv):
        import json

        sys.stdout.write(json.dumps({"schema_version": 1, "error": err.as_dict()}, indent=2) + "\n")
    else:
        sys.stderr.write(f"isc: error: {err.message}\n")
        if err.hint:
            sys.stderr.write(f"hint: {err.hint}\n")
    return err.exit_code


def os_error(e: OSError) -> IscError:
    """A file or a tool isc could not use, in one line: permission (isc needs root for /etc/iscsi, /etc/fstab,
    iscsiadm and the lock) gets exit 6 and says so; anything else (a full disk, a read-only /etc) exit 1."""
    where = f": {e.filename}" if e.filename else ""
    if isinstance(e, PermissionError):
        hint = ("isc reads and changes root-owned files and runs iscsiadm: run it as root (sudo isc ...)"
                if os.geteuid() != 0 else "check the file's permissions and any security module (SELinux, AppArmor)")
        return IscError(f"permission denied{where}", hint=hint, exit_code=EXIT_ENVIRONMENT)
    return IscError(f"{e.strerror or e}{where}")


def stdout_gone() -> bool:
    """Whether the reader of isc's standard output has gone (`isc status | head`): the pipe's write end then
    polls as an error. A BrokenPipeError from anything else (a tool's stdin) is an error to report."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):  # no descriptor (a test's captured stdout)
        return False


# Global options that take a value: the word after them is not the command.
_VALUE_OPTIONS = ("--root", "--timeout")


def invoked_command(args: list[str]) -> str | None:
    """The command word of an argv (what follows the global options), or None."""
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return None
        if word in _VALUE_OPTIONS:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return word
    return None
