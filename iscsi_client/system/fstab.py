"""/etc/fstab on disk: read, and change atomically with a backup (the editing itself is parsers/fstab.py)."""

from __future__ import annotations

from collections.abc import Callable

from iscsi_client.system.files import check_room, read_text, write_atomic
from iscsi_client.system.lock import host_lock
from iscsi_client.system.root import Root

PATH = "/etc/fstab"


def read_fstab(root: Root) -> str:
    return read_text(root.str(PATH)) or ""


def update_fstab(root: Root, edit: Callable[[str], str]) -> str | None:
    """Apply ``edit`` to the file as it is now and write the result if it differs; returns the backup's host
    path. Read, edit and write happen under isc's host lock, so two isc processes editing fstab at once (two
    persists) both land; the edit is applied to the current text, not to a copy read before a long step
    like mkfs, so a line added meanwhile by anyone is kept."""
    with host_lock(root):
        now = read_fstab(root)
        new = edit(now)
        if new == now:
            return None
        saved = write_atomic(root(PATH), new, mode=0o644)
    return None if saved is None else f"/etc/{saved.name}"


def check_writable(root: Root, text: str) -> None:
    """fstab can be replaced by ``text`` (or raise the OSError naming it): checked before mkfs."""
    check_room(root(PATH), len(text.encode(errors="surrogateescape")) + 512)
