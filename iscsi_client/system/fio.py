"""Running fio: its JSON into a private file, its eta lines read as they come (progress), and a clean stop.

fio runs in a process group of its own. On Ctrl-C (or any error in isc) the whole group gets SIGINT, the
way a terminal sends it: fio then stops its jobs and still writes its JSON (measured in the lab guest:
0.1 s). A SIGINT to the parent alone is not enough: fio's job processes started from a shell in the
background ignore SIGINT and fio waits for them forever. A group that does not stop within 10 s is killed."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence

from iscsi_client.errors import EnvironmentProblem, IscError
from iscsi_client.system.commands import child_env
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.system.commands import Observer

STOP_GRACE = 10.0


def run_fio(root: Root, argv: Sequence[str], *, on_line: Callable[[str], None] | None = None,
            observer: Observer | None = None, limit: float) -> tuple[int, str]:
    """Run ``fio ARGV --output-format=json --output=FILE``; returns its exit code and the JSON text.
    ``limit``: seconds before isc stops it (the job's runtime plus its layout and ramp)."""
    root.require_live("running fio")
    with tempfile.TemporaryDirectory(prefix="isc-fio-") as tmp:
        out = os.path.join(tmp, "fio.json")
        full = ["fio", *argv, "--output-format=json", f"--output={out}", "--eta=always", "--eta-newline=1"]
        if observer:
            observer(shlex.join(full[:-3]), False)  # the output file and eta are isc's plumbing
        try:
            proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=child_env(), start_new_session=True)
        except FileNotFoundError:
            raise EnvironmentProblem("fio is not installed", hint="apt install fio (or dnf install fio)") from None
        try:
            _read_lines(proc, on_line, limit)
        except BaseException:
            _stop(proc)
            raise
        try:
            with open(out, encoding="utf-8", errors="replace") as fh:
                return proc.returncode, fh.read()
        except OSError:
            return proc.returncode, ""


def _read_lines(proc: subprocess.Popen[bytes], on_line: Callable[[str], None] | None, limit: float) -> None:
    import selectors
    import time

    assert proc.stdout is not None
    deadline = time.monotonic() + limit
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise IscError(f"fio did not finish within {limit:.0f} s; it was stopped",
                           hint="a LUN that stopped answering? 'isc status' and 'isc doctor' show the paths")
        if not sel.select(min(left, 1.0)):
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
        for line in lines:
            if line.strip() and on_line is not None:
                on_line(line.decode(errors="replace"))
    proc.wait(timeout=max(1.0, deadline - time.monotonic()))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT to fio's group, then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGINT, STOP_GRACE), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def remove_scratch(root: Root, path: str) -> bool:
    """Remove isc's scratch file (and nothing else: the name is isc's own). True when one was there."""
    try:
        os.unlink(root.str(path))
    except FileNotFoundError:
        return False
    return True


def free_bytes(root: Root, directory: str) -> int:
    st = os.statvfs(root.str(directory))
    return st.f_bavail * st.f_frsize
