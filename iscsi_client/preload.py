"""Modules a command is about to need, imported while isc waits for a program it started.

A discover --login waits for iscsiadm's discovery (about 0.15 s in the TCG lab guest), then imports the
login's modules; a login waits for iscsiadm's login, then imports what scans the hosts and registers the maps.
The machine has a core to spare while the child runs and isc sits in poll: the imports queued here run then
(system/spawn.py calls ``run`` once the child is started), off the command's critical path.

Nothing here changes what a command does. A module that fails to import here is left alone: it is imported
again where the command uses it, and its error is raised there, in its place. A queue that no wait empties
costs nothing.
"""

from __future__ import annotations

import sys

_queued: list[str] = []


def queue(*modules: str) -> None:
    """Import these (dotted names, in order) at the next wait on a child program."""
    _queued.extend(m for m in modules if m not in sys.modules)


def run() -> None:
    """Import what is queued. Called while a child runs; any thread may call it (each name is taken once)."""
    while True:
        try:
            name = _queued.pop(0)
        except IndexError:
            return
        try:
            __import__(name)
        except Exception:  # raised again where the command imports it for use
            pass
