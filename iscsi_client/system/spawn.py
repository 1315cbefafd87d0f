"""Running a program to its end with its output captured: what ``subprocess.run(argv, capture_output=True,
input=..., timeout=...)`` does for isc's iscsiadm and tool runs, without importing subprocess.

subprocess brings signal (its enums), selectors, threading and locale: in the TCG lab guest about 0.05-0.1 s
of every discover, login, logout and connect, most of a Python start-up, for one spawn and two pipes. Here
the child is started with ``os.posix_spawnp`` (glibc reports a program that cannot be run as the call's
error), its standard input is /dev/null or a pipe holding ``stdin``, its output goes to two pipes read with
one ``select.poll`` until both end, and the exit status is collected within the same deadline.

As with subprocess: no descriptor of isc reaches the child (Python opens its own close-on-exec, and those
isc was started with are closed in the child), SIGPIPE and SIGXFSZ are the default again in the child, a
child that outlives the deadline (or an interrupt) is killed and reaped before the error is raised, and a
death by signal N comes back as -N.
"""

from __future__ import annotations

import os
import select

from iscsi_client import preload

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_SIGKILL, _SIGPIPE, _SIGXFSZ = 9, 13, 25  # Linux's numbers: `signal` is not imported for three constants
_CHUNK = 65536


def command_line(argv: Sequence[str]) -> str:
    """The argv as one shell line, each word quoted where the shell needs it (for -v, --dry-run and error
    messages). shlex, with re, is loaded here, only when a line is shown."""
    import shlex

    return shlex.join(argv)


class TimedOut(Exception):
    """The program ran past its deadline; it has been killed and reaped. The argv is not kept (it may hold a
    secret: the caller names the command its own way)."""


def run(argv: Sequence[str], *, env: Mapping[str, str], stdin: bytes | None = None,
        timeout: float | None = None) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) of ``argv`` run to its end. OSError (FileNotFoundError, PermissionError)
    when it cannot be started; TimedOut when it did not end within ``timeout`` seconds."""
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    ours: list[int] = []  # every descriptor opened here, closed before returning
    try:
        out_r, out_w = _pipe(ours)
        err_r, err_w = _pipe(ours)
        if stdin is None:
            in_r, in_w = _keep(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), ours), None
        else:
            in_r, in_w = _pipe(ours)
        pid = os.posix_spawnp(argv[0], list(argv), env,
                              file_actions=[(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                                            (os.POSIX_SPAWN_DUP2, err_w, 2),
                                            *((os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited())],
                              setsigdef=(_SIGPIPE, _SIGXFSZ))
        for fd in (in_r, out_w, err_w):  # the child's ends: a pipe ends when the child closes its copy
            _close(fd, ours)
        try:
            preload.run()  # while the child runs: the modules the command queued for its next steps
            out, err = _collect(out_r, err_r, in_w, stdin or b"", deadline, ours)
            return _reap(pid, deadline), out, err
        except BaseException:
            _kill(pid)
            raise
    finally:
        for fd in list(ours):
            _close(fd, ours)


def _inherited() -> list[int]:
    """The descriptors above 2 a child would inherit: those isc itself was given open and inheritable by
    whatever started it (a shell's, a CI runner's pipe). subprocess closes them in the child; so does this."""
    try:
        names = os.listdir("/proc/self/fd")  # the listing's own descriptor is close-on-exec
    except OSError:
        return []
    found = []
    for name in names:
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's, closed by now
            pass
    return found


def _pipe(ours: list[int]) -> tuple[int, int]:
    r, w = os.pipe()  # both close-on-exec
    return _keep(r, ours), _keep(w, ours)


def _keep(fd: int, ours: list[int]) -> int:
    """``fd`` moved above 2 when it is a standard descriptor (isc started with one of them closed): posix_spawn's
    dup2 onto itself leaves it close-on-exec in glibc before 2.29 (RHEL 8), so the child would start without it."""
    ours.append(fd)
    if fd > 2:
        return fd
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    ours.append(moved)
    _close(fd, ours)
    return moved


def _close(fd: int, ours: list[int]) -> None:
    ours.remove(fd)
    os.close(fd)


def _collect(out_r: int, err_r: int, in_w: int | None, data: bytes, deadline: float | None,
             ours: list[int]) -> tuple[bytes, bytes]:
    """Both outputs read to their end while ``data`` is written to the child's input, until ``deadline``."""
    import time

    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    left = memoryview(data)
    if in_w is not None:
        if left:
            os.set_blocking(in_w, False)
            poller.register(in_w, select.POLLOUT)
        else:
            _close(in_w, ours)
            in_w = None
    reading = set(chunks)
    while reading or in_w is not None:
        wait = None
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimedOut
        for fd, event in poller.poll(None if wait is None else wait * 1000):
            if fd == in_w:
                try:
                    sent = 0 if event & (select.POLLERR | select.POLLHUP) else os.write(in_w, left[:_CHUNK])
                except BrokenPipeError:  # the child closed its input early: as subprocess, not an error
                    sent = 0
                    left = left[:0]
                left = left[sent:]
                if not sent or not left:
                    poller.unregister(in_w)
                    _close(in_w, ours)
                    in_w = None
                continue
            block = os.read(fd, _CHUNK)
            if block:
                chunks[fd].append(block)
            else:
                poller.unregister(fd)
                reading.discard(fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


def _reap(pid: int, deadline: float | None) -> int:
    """The exit code (-N for a death by signal N), waited for until ``deadline``."""
    import time

    pause = 0.0005
    while True:
        done, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() >= deadline:
            raise TimedOut
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, _SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already
        pass
