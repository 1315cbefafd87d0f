"""The `isc` program. A TAB press (the completion scripts set _ISC_COMPLETE) is answered by cli/tab.py,
which imports neither click nor typer; every other run goes to cli/app.py."""

from __future__ import annotations

import os
import sys

COMPLETE_VAR = "_ISC_COMPLETE"


def main() -> None:
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction is None:
        from iscsi_client.cli.app import main as run

        run()
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
