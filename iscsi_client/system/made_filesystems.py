"""The filesystems isc itself created with ``persist --mkfs`` (or connect's mount step), by UUID, with the
mount point they were made for: /var/lib/isc/made-filesystems.json, root only.

isc chooses the UUID and records it before it runs mkfs. So when a persist is interrupted after mkfs (a
kill, a failed mount, a lost terminal), running the same command again recognises the filesystem it made
and carries on, where any other filesystem on the device is refused as data that is not isc's to format.
"""

from __future__ import annotations

import json
import uuid

from iscsi_client.records import record
from iscsi_client.system.files import read_text, write_atomic
from iscsi_client.system.root import Root

PATH = "/var/lib/isc/made-filesystems.json"
KEEP = 64  # the newest entries; older ones are persisted long since or abandoned


@record
class Made:
    uuid: str
    mountpoint: str
    fstype: str
    device: str


def new_uuid() -> str:
    return str(uuid.uuid4())


def read(root: Root) -> list[Made]:
    """Every recorded filesystem; an unreadable or foreign file reads as none (the refusal is then the
    safe answer)."""
    text = read_text(root(PATH))
    try:
        rows = json.loads(text) if text else []
        return [Made(str(r["uuid"]), str(r["mountpoint"]), str(r["fstype"]), str(r["device"])) for r in rows]
    except (ValueError, TypeError, KeyError):
        return []


def made_for(root: Root, fs_uuid: str | None, mountpoint: str) -> Made | None:
    """The record of this filesystem, if isc made it for this mount point."""
    if not fs_uuid:
        return None
    return next((m for m in read(root) if m.uuid.lower() == fs_uuid.lower() and m.mountpoint == mountpoint), None)


def remember(root: Root, made: Made) -> None:
    """Record a filesystem before it is made (atomically: a kill leaves the old list or the new one)."""
    rows = [m for m in read(root) if m.uuid != made.uuid][-(KEEP - 1):] + [made]
    path = root(PATH)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    from dataclasses import asdict  # here: connect imports this module, few of its runs make a filesystem

    write_atomic(path, json.dumps([asdict(m) for m in rows], indent=1) + "\n", mode=0o600, keep_backup=False)
