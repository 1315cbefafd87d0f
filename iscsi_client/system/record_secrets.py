"""CHAP secrets into open-iscsi's record files without ever putting them on a command line.

iscsiadm takes a setting's value only on its argv (``-o update -n node.session.auth.password -v VALUE``),
where every local user can read it in /proc while it runs and an execve audit rule records it for good.
isc runs that update with a one-time placeholder instead, so iscsiadm itself selects the records, creates
the field and keeps the file layout; then, under open-iscsi's own database lock (the lock.write hard link
iscsiadm takes), isc replaces each placeholder with the secret in the record files, atomically and with
their mode kept (0600), and reads them back. A run stopped in between leaves a placeholder, a wrong
secret that fails the next login, and running the same command again replaces it.
"""

from __future__ import annotations

import os
import re
import secrets as random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iscsi_client.errors import EnvironmentProblem, IscError
from iscsi_client.model import Secret
from iscsi_client.system import files, nodedb
from iscsi_client.system.root import Root

LOCK_DIR = "/run/lock/iscsi"  # open-iscsi's LOCK_DIR (idbm.c): lock, and lock.write while one holds it
PREFIX = "isc-pending-"


def placeholder() -> str:
    return PREFIX + random.token_hex(12)


@contextmanager
def open_iscsi_lock(root: Root, timeout: float = 30.0) -> Iterator[None]:
    """open-iscsi's database lock, taken the way iscsiadm takes it: link(lock, lock.write) succeeds for one
    process at a time; unlink releases it."""
    d = root(LOCK_DIR)
    lock, held = d / "lock", d / "lock.write"
    try:
        d.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.close(os.open(lock, os.O_RDWR | os.O_CREAT, 0o666))
    except OSError as e:
        raise EnvironmentProblem(f"cannot prepare open-iscsi's lock in {d}: {e.strerror}",
                                 hint="isc needs root (sudo isc ...)") from e
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.link(lock, held)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise IscError(f"open-iscsi's record database stayed locked for {timeout:.0f} s ({held})",
                               hint="another iscsiadm is running; if none is, remove the stale lock: rm " +
                                    str(held)) from None
            time.sleep(0.01)
    try:
        yield
    finally:
        os.unlink(held)


def _record_paths(root: Root) -> list[Path]:
    base = nodedb.node_dir(root)
    nodes = [p for p, _ in nodedb.record_files(base)] if base is not None else []
    return nodes + [p for p, _ in nodedb.discovery_config_files(root)]


def fill(root: Root, tokens: dict[str, Secret]) -> int:
    """Replace each placeholder iscsiadm just wrote with its secret, in every record file holding one;
    returns how many files changed. Each file is read back: a placeholder left, or one found nowhere,
    is an error (nothing is half-written: each file is replaced whole)."""
    pattern = re.compile(r"^(\S+ = )(" + "|".join(map(re.escape, tokens)) + r")$", re.M)
    seen: set[str] = set()
    changed = 0
    with open_iscsi_lock(root):
        for path in _record_paths(root):
            text = files.read_text(path)
            if text is None or PREFIX not in text:
                continue
            found = {m.group(2) for m in pattern.finditer(text)}
            if not found:
                continue
            seen |= found
            files.write_atomic(path, pattern.sub(lambda m: m.group(1) + tokens[m.group(2)].reveal(), text),
                               keep_backup=False)  # a backup would be one more copy of the secret
            check = files.read_text(path) or ""
            if any(t in check for t in found) or any(f" = {tokens[t].reveal()}\n" not in check for t in found):
                raise IscError(f"the secret did not read back from {path}",
                               hint="check the file system under /etc/iscsi, then run the same command again")
            changed += 1
    missing = set(tokens) - seen
    if missing:
        raise IscError("iscsiadm updated no record file with the secret (the record may have been deleted "
                       "meanwhile)", hint="run the same command again")
    return changed
