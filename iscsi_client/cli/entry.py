"""The `isc` program. A TAB press (the completion scripts set _ISC_COMPLETE) is answered by cli/tab.py, and
the commands cli/direct.py knows (status, sessions, doctor, metrics, multipath status, login, logout, discover,
connect, disconnect) are run by it, both without click or typer; everything else, and whatever cli/direct.py
declines, goes to cli/app.py."""

from __future__ import annotations

import os
import sys

COMPLETE_VAR = "_ISC_COMPLETE"


def main(argv: list[str] | None = None) -> None:
    try:
        _main(argv)
    except SystemExit:
        _flush_stdout()
        _spare_the_last_collections()
        raise
    except BrokenPipeError:  # the reader went away mid-output (`isc status | head`)
        _quiet_exit()
    _flush_stdout()
    _spare_the_last_collections()


def _spare_the_last_collections() -> None:
    """The command is done and the process ends. Python's exit would still run its cyclic collector over every
    object isc made, the modules' functions and classes most of all: about 20 ms of each command in the TCG
    lab guest, nearly a fifth of a Python start-up. Frozen, they are left out of it: the modules are still
    cleared as the interpreter unwinds, objects in reference cycles are left to the end of the process, and
    isc closes its own files, sockets and locks before this point."""
    import gc

    gc.freeze()


def _flush_stdout() -> None:
    """Output still buffered goes out here, not at interpreter exit, where a reader that stopped reading
    (`isc --json status | head -c 100`) would make Python print 'Exception ignored ... BrokenPipeError'."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_exit()


def _quiet_exit() -> None:
    """No message and status 1, as rich's console ends the tables and trees in the same case."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing left for the exit's own flush to fail on
    sys.exit(1)


def _main(argv: list[str] | None) -> None:
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction is None:
        args = list(sys.argv[1:] if argv is None else argv)
        # bytes of system files that are not UTF-8 (read with surrogateescape) go out as the bytes they were,
        # the way cat shows them, instead of a UnicodeEncodeError
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="surrogateescape")
        from iscsi_client.cli.direct import run as run_direct

        rc = run_direct(args)
        if rc is not None:
            sys.exit(rc)
        from iscsi_client.cli.app import main as run

        run(args)
        return
    from iscsi_client.cli.tab import answer
    from iscsi_client.errors import IscError

    try:
        text = answer(instruction, os.environ)
    except (OSError, IscError):  # TAB stays quiet (a user who may not read /etc/iscsi gets no IQNs)
        sys.exit(1)
    if text is None:
        sys.exit(1)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
