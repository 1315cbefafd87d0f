"""A reader that stops reading (`isc --json status | head -c 100`): isc ends quietly with status 1, as rich's
console ends the tables and trees, instead of Python's 'Exception ignored ... BrokenPipeError' on stderr and
status 120."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def pipes_report_epipe() -> bool:
    """Whether one large write into a pipe whose reader stops after a few bytes fails, as on Linux (the lab
    guest); the development machine's sandboxed kernel takes such a write whole and without a word."""
    import threading

    r, w = os.pipe()
    failed: list[bool] = []

    def write() -> None:
        try:
            os.write(w, b"x" * 1_000_000)
            failed.append(False)
        except BrokenPipeError:
            failed.append(True)

    writer = threading.Thread(target=write)
    writer.start()
    os.read(r, 100)
    os.close(r)
    writer.join(10)
    os.close(w)
    return failed == [True]


@pytest.mark.skipif(not pipes_report_epipe(), reason="this kernel takes a large write into a pipe whose reader "
                    "has gone, without EPIPE (tests/lab/test_scale.py checks it in the lab guest)")
def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        from synthetic_sysfs import build
    finally:
        sys.path.remove(str(BENCH))
    build(tmp_path, 64, 4)  # 64 sessions x 4 LUNs: a status document far larger than a pipe's buffer
    argv = [sys.executable, "-c", "import sys; from iscsi_client.cli.entry import main; sys.argv[0] = 'isc'; main()",
            "--root", str(tmp_path), "--json", "status"]
    whole = subprocess.run(argv, capture_output=True, check=True).stdout
    assert len(whole) > 200_000
    isc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert isc.stdout is not None and isc.stderr is not None
    head = isc.stdout.read(100)
    isc.stdout.close()  # the reader goes away
    err = isc.stderr.read()
    assert isc.wait(timeout=60) == 1
    assert head == whole[:100] and err == b""


def test_stdout_gone_tells_a_reader_that_left_from_one_still_reading():
    """A BrokenPipeError ends isc quietly only when its own output's reader has gone; the same error from a
    tool's stdin is reported (cli/direct.py and cli/app.py ask stdout_gone)."""
    code = "import sys; from iscsi_client.cli.report import stdout_gone; sys.stderr.write(str(stdout_gone()))"
    r, w = os.pipe()
    os.close(r)  # the reader left before isc writes a byte
    gone = subprocess.run([sys.executable, "-c", code], stdout=w, stderr=subprocess.PIPE, text=True)
    os.close(w)
    assert gone.stderr == "True"
    still = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert still.stderr == "False"


def test_a_broken_pipe_mid_command_is_quiet_only_when_isc_own_reader_left(tmp_path):
    """A command that meets a BrokenPipeError while it runs: exit 1 without a word when isc's stdout reader has
    gone (`isc sessions | head`), a reported error naming it when the pipe is some other one (a tool's stdin)."""
    code = ("import sys; import iscsi_client.cli.readers as r\n"
            "def broken(*a, **k): raise BrokenPipeError(32, 'Broken pipe')\n"
            "r.sessions = broken\n"
            f"sys.argv = ['isc', '--root', {str(tmp_path)!r}, 'sessions']\n"
            "from iscsi_client.cli.entry import main; main()")
    r, w = os.pipe()
    os.close(r)  # the reader of isc's output has gone
    gone = subprocess.run([sys.executable, "-c", code], stdout=w, stderr=subprocess.PIPE, text=True)
    os.close(w)
    assert (gone.returncode, gone.stderr) == (1, "")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.returncode == 1 and other.stderr.startswith("isc: error: Broken pipe"), other.stderr
    assert "Traceback" not in other.stderr
