"""Room to write open-iscsi's node database (/etc/iscsi) before iscsiadm writes it.

iscsiadm does not check its own writes. Seen in the lab (open-iscsi 2.1.8) on a full /etc: a SendTargets
discovery exits 0 and leaves every new node record and the portal's st_config as empty files; on a
read-only /etc it exits 6 naming one file ("Could not open ...: Read-only file system"). An empty record
is not a record: iscsiadm and isc can no longer read the target's settings. So before an exec that adds or
changes records isc checks the filesystem holding the database (read-only, or less than ``MIN_FREE`` or
``MIN_INODES`` left for root), and after a discovery or an ``-o new`` it looks for record files iscsiadm left empty."""

from __future__ import annotations

import errno
import os

from iscsi_client.errors import IscError
from iscsi_client.model import Secret
from iscsi_client.system import files
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

DB = "/etc/iscsi"
MIN_FREE = 256 * 1024  # a discovery of 64 records needs about 64 x 3 blocks (file, portal dir, target dir)
MIN_INODES = 256  # and as many inodes, one for each of those files and directories
RECORD_DIRS = ("nodes", "send_targets", "isns", "ifaces")


def _op(args: Sequence[str | Secret]) -> tuple[list[str], str | None]:
    plain = [a for a in args if isinstance(a, str)]
    return plain, plain[plain.index("-o") + 1] if "-o" in plain[:-1] else None


def writes_records(args: Sequence[str | Secret]) -> bool:
    """Whether ``iscsiadm ARGS`` adds or changes database files (a discovery stores what it finds unless
    asked not to; -o delete only frees room)."""
    plain, op = _op(args)
    return op in ("new", "update") or ("discovery" in plain and op not in ("nonpersistent", "delete"))


def adds_records(args: Sequence[str | Secret]) -> bool:
    plain, op = _op(args)
    return "discovery" in plain or op == "new"


def ensure_room(root: Root) -> None:
    """Refuse, in one line naming the directory, when the database's filesystem cannot take a write."""
    short = files.no_room(root.str(DB), MIN_FREE, MIN_INODES)
    if short is not None:
        code, what = short
        detail = f" ({what})" if what else ""
        raise IscError(f"cannot change the node database: {DB}: {os.strerror(code)}{detail}",
                       hint="iscsiadm would leave empty or half-written records: make room on the filesystem of "
                            f"{DB} (or remount it read-write)")


def left_empty(root: Root) -> list[str]:
    """Record files of the database that are empty (host paths): what a write that ran out of room leaves."""
    empty = []
    for sub in RECORD_DIRS:
        for dirpath, _dirs, names in os.walk(root.str(f"{DB}/{sub}")):
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    if not os.path.islink(path) and os.stat(path).st_size == 0:
                        empty.append(path)
                except OSError:
                    continue
    return sorted(empty)


def check_not_left_empty(root: Root, before: set[str]) -> None:
    """After an exec that adds records: an empty record file that was not empty before means iscsiadm ran out
    of room while writing (it still exits 0)."""
    new = [p for p in left_empty(root) if p not in before]
    if new:
        more = f" and {len(new) - 1} more" if len(new) > 1 else ""
        raise IscError(f"iscsiadm left the record {new[0]}{more} empty: {os.strerror(errno.ENOSPC)} while it wrote",
                       hint="make room on the filesystem of /etc/iscsi and delete the empty records "
                            "('isc nodes delete TARGET')")

