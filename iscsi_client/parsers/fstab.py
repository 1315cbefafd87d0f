"""/etc/fstab as text: parse, add and remove isc's entries, and leave every other line byte-for-byte alone.

isc's entries are two lines: a marker comment naming what the entry is for, then the entry itself:

    # isc: iqn.2003-01.org.example:disk1 lun 0
    UUID=0b7c... /srv/data xfs _netdev,nofail 0 0

Pure functions over strings; system/fstab.py does the I/O.
"""

from __future__ import annotations

import re

from iscsi_client.errors import InUseError, UsageError
from iscsi_client.records import record

MARKER = "# isc: "
FSTYPES = ("xfs", "ext4", "ext3", "ext2", "btrfs")
_OCTAL = re.compile(r"\\([0-7]{3})")


def unescape(field: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def escape(value: str) -> str:
    """fstab(5) escapes: space, tab, newline and backslash as octal."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in value)


@record
class FstabEntry:
    spec: str
    mountpoint: str
    fstype: str
    options: str
    freq: int = 0
    passno: int = 0

    def render(self) -> str:
        return f"{escape(self.spec)} {escape(self.mountpoint)} {self.fstype} {self.options} {self.freq} {self.passno}"

    @property
    def option_list(self) -> list[str]:
        return self.options.split(",")


def parse_line(line: str) -> FstabEntry | None:
    """An entry, or None for blank lines, comments and lines fstab would not accept."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    fields = stripped.split()
    if len(fields) < 3 or len(fields) > 6:
        return None
    spec, mp, fstype = (unescape(f) for f in fields[:3])
    options = fields[3] if len(fields) > 3 else "defaults"
    try:
        freq = int(fields[4]) if len(fields) > 4 else 0
        passno = int(fields[5]) if len(fields) > 5 else 0
    except ValueError:
        return None
    return FstabEntry(spec, mp, fstype, options, freq, passno)


def entries(text: str) -> list[FstabEntry]:
    return [e for e in (parse_line(ln) for ln in text.splitlines()) if e is not None]


def validate(entry: FstabEntry) -> None:
    if not entry.mountpoint.startswith("/") or entry.mountpoint == "/":
        raise UsageError(f"mount point {entry.mountpoint!r} must be an absolute path other than /")
    if any(c in entry.mountpoint for c in "\n\t"):
        raise UsageError("mount point must not contain tabs or newlines")
    if entry.fstype not in FSTYPES:
        raise UsageError(f"filesystem type {entry.fstype!r} is not one of {', '.join(FSTYPES)}")
    if not entry.options or any(c.isspace() for c in entry.options) or "#" in entry.options:
        raise UsageError(f"mount options {entry.options!r} must be a comma list without spaces")
    if "_netdev" not in entry.option_list:
        raise UsageError("an iSCSI filesystem needs _netdev (or boot hangs waiting for it before the network)")


def _same_uuid(a: str, b: str) -> bool:
    return a.startswith("UUID=") and a.lower() == b.lower()


def add_entry(text: str, entry: FstabEntry, *, comment: str) -> tuple[str, bool]:
    """(new text, changed). Idempotent: the same entry again changes nothing. Refuses another entry for the
    same mount point or the same UUID, naming it."""
    validate(entry)
    for existing in entries(text):
        if existing == entry:
            return text, False
        if existing.mountpoint == entry.mountpoint:
            raise InUseError(f"/etc/fstab already has an entry for {entry.mountpoint}: {existing.render()}",
                             hint=f"remove it first (isc unpersist {entry.mountpoint}) or choose another mount point")
        if _same_uuid(existing.spec, entry.spec):
            raise InUseError(f"/etc/fstab already mounts {entry.spec} on {existing.mountpoint}",
                             hint="one filesystem, one fstab entry")
    prefix = text if not text or text.endswith("\n") else text + "\n"
    return f"{prefix}{MARKER}{comment}\n{entry.render()}\n", True


def remove_entry(text: str, mountpoint: str) -> tuple[str, FstabEntry | None, str | None]:
    """(new text, removed entry, its marker comment). Only the entry and isc's marker line just above it
    are removed; every other line stays as it was."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        entry = parse_line(line)
        if entry is None or entry.mountpoint != mountpoint:
            continue
        start = i
        comment = None
        if i > 0 and lines[i - 1].startswith(MARKER):
            start = i - 1
            comment = lines[i - 1][len(MARKER):].rstrip("\n")
        return "".join(lines[:start] + lines[i + 1:]), entry, comment
    return text, None, None


def owned_entries(text: str) -> list[tuple[str, int, FstabEntry]]:
    """isc's entries: (target, LUN, entry) for each entry under an ``# isc: TARGET lun N`` marker."""
    out: list[tuple[str, int, FstabEntry]] = []
    previous = ""
    for line in text.splitlines():
        entry = parse_line(line)
        if entry is not None and previous.startswith(MARKER):
            words = previous[len(MARKER):].split()
            if len(words) == 3 and words[1] == "lun" and words[2].isascii() and words[2].isdigit():
                out.append((words[0], int(words[2]), entry))
        previous = line
    return out
