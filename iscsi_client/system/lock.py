"""isc's host-wide lock: /run/lock/isc.lock (under --root, inside the root), taken around every change to
shared state (iscsiadm commands that change records or sessions, read-modify-write of /etc/fstab).

flock(2) locks belong to an open file, so a second open in the same process would wait for itself: the lock
is re-entrant through one descriptor per lock file, and while it is held the process's threads share it (the
concurrent logins of one isc run happen under one hold). Its holder writes its pid into the file, so a process
that must wait can say for whom (the way apt names the process holding its lock)."""

from __future__ import annotations

import _thread  # threading's own primitive: threading (with functools and collections) costs start-up
import fcntl
import os

from iscsi_client.system.root import Root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

LOCK_PATH = "/run/lock/isc.lock"

_held: dict[str, tuple[int, int]] = {}  # lock file -> (descriptor, depth)
_guard = _thread.allocate_lock()  # around _held: a process's threads take and release holds concurrently


def host_lock(root: Root, on_wait: Callable[[str], None] | None = None) -> HostLock:
    """Hold the lock for a with block; ``on_wait`` hears one line when another process holds it."""
    return HostLock(root.str(LOCK_PATH), on_wait)


class HostLock:
    """One hold of the lock file ``path``, for a with block (a class: contextlib costs start-up)."""

    def __init__(self, path: str, on_wait: Callable[[str], None] | None) -> None:
        self.path = path
        self.on_wait = on_wait

    def __enter__(self) -> None:
        with _guard:
            if self.path in _held:
                fd, depth = _held[self.path]
                _held[self.path] = (fd, depth + 1)
                return
        fd = _acquire(self.path, self.on_wait)  # may wait for another process: not under _guard
        with _guard:
            # a thread of ours that took another descriptor's flock meanwhile has released it (flock(2)
            # made us wait for it), so nothing of this path is held now
            _held[self.path] = (fd, 1)

    def __exit__(self, *exc: object) -> None:
        with _guard:
            fd, depth = _held[self.path]
            if depth > 1:
                _held[self.path] = (fd, depth - 1)
            else:
                del _held[self.path]
                os.close(fd)


class NotHeld:
    """Where nothing changes (a read, a dry run): a with block that holds nothing, in place of a HostLock."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _acquire(path: str, on_wait: Callable[[str], None] | None) -> int:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another isc is changing state (a login to a slow portal can take minutes): say whom we wait for,
            # then wait (Ctrl-C interrupts).
            if on_wait is not None:
                on_wait(f"waiting for {_holder(fd)} to finish (it holds {LOCK_PATH})")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _holder(fd: int) -> str:
    """The process holding the lock, from the pid its holder wrote into the file: 'process 1234 (isc)'."""
    try:
        pid = int(os.pread(fd, 32, 0).split()[0])
    except (OSError, ValueError, IndexError):
        return "another process"
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return f"process {pid} ({fh.read().strip()})"
    except OSError:
        return f"process {pid}"
