"""node.startup's values: iscsid logs in to the record at boot (automatic, onboot) or only when asked (manual).

A module of its own, apart from model.py: enum (with functools and types) is loaded by the commands that set
a record's startup, not before the first exec of every login and discover.
"""

from __future__ import annotations

from enum import StrEnum


class Startup(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"
    ONBOOT = "onboot"
