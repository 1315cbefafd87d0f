"""/etc/fstab on disk: read, and change atomically with a backup (the editing itself is parsers/fstab.py)."""

from __future__ import annotations

from iscsi_client.system.files import read_text, write_atomic
from iscsi_client.system.root import Root

PATH = "/etc/fstab"


def read_fstab(root: Root) -> str:
    return read_text(root(PATH)) or ""


def write_fstab(root: Root, text: str) -> str | None:
    """Write it; returns the backup's host path."""
    saved = write_atomic(root(PATH), text, mode=0o644)
    return None if saved is None else f"/etc/{saved.name}"
