"""system/spawn.py runs iscsiadm and the other tools in place of subprocess: real programs, the cases where a
hand-made runner goes wrong (a full pipe both ways, a child that stops reading, a deadline, a descriptor
leaked into a child, a signal left ignored, isc started with a standard descriptor closed)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iscsi_client.system import spawn

ENV = dict(os.environ)
REPO = Path(__file__).resolve().parents[2]


def test_exit_code_and_both_outputs_apart():
    rc, out, err = spawn.run(["sh", "-c", "echo out; echo err >&2; exit 3"], env=ENV)
    assert (rc, out, err) == (3, b"out\n", b"err\n")


def test_megabytes_on_both_outputs_and_input_at_once_do_not_deadlock():
    data = os.urandom(3 << 20)
    script = "tee /dev/stderr"  # the input back on both outputs while more input is still coming
    rc, out, err = spawn.run(["sh", "-c", script], env=ENV, stdin=data, timeout=60)
    assert rc == 0 and out == data and err == data


def test_a_child_that_stops_reading_its_input_is_no_error():
    rc, out, _ = spawn.run(["head", "-c", "5"], env=ENV, stdin=b"x" * (4 << 20), timeout=30)
    assert (rc, out) == (0, b"xxxxx")


def test_without_input_the_child_reads_dev_null():
    assert spawn.run(["cat"], env=ENV, timeout=10) == (0, b"", b"")
    assert spawn.run(["cat"], env=ENV, stdin=b"", timeout=10) == (0, b"", b"")


def test_a_child_past_its_deadline_is_killed_and_reaped(tmp_path):
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(spawn.TimedOut):
        spawn.run(["sh", "-c", f"echo $$ > {pidfile}; exec sleep 30"], env=ENV, timeout=0.5)
    assert time.monotonic() - started < 5
    pid = int(pidfile.read_text())
    assert not Path(f"/proc/{pid}").exists()  # killed, and no zombie left: it was waited for


def test_a_deadline_also_holds_after_the_outputs_closed(tmp_path):
    with pytest.raises(spawn.TimedOut):
        spawn.run(["sh", "-c", "exec >&- 2>&-; sleep 30"], env=ENV, timeout=0.5)


def test_a_program_that_cannot_run(tmp_path):
    with pytest.raises(FileNotFoundError):
        spawn.run(["isc-no-such-program"], env=ENV)
    not_executable = tmp_path / "tool"
    not_executable.write_text("#!/bin/sh\n")
    not_executable.chmod(0o644)
    with pytest.raises(PermissionError):
        spawn.run([str(not_executable)], env=ENV)


def test_a_death_by_signal_is_minus_the_signal():
    assert spawn.run(["sh", "-c", "kill -TERM $$"], env=ENV, timeout=10)[0] == -15


def test_the_child_gets_sigpipe_back():
    """Python ignores SIGPIPE; a child must not inherit that (`yes | head` would end with an error)."""
    rc, out, err = spawn.run(["sh", "-c", "yes | head -n 1"], env=ENV, timeout=10)
    assert (rc, out, err) == (0, b"y\n", b"")


def test_no_descriptor_of_isc_reaches_the_child(tmp_path):
    held = os.open(tmp_path / "lock", os.O_CREAT | os.O_RDWR)  # as the host lock is held during an exec
    given = os.open(tmp_path / "given", os.O_CREAT | os.O_RDWR)
    os.set_inheritable(given, True)  # as a descriptor isc was started with (a shell's, a CI runner's pipe)
    try:
        _, out, _ = spawn.run(["sh", "-c", "ls /proc/$$/fd"], env=ENV, timeout=10)
    finally:
        os.close(held)
        os.close(given)
    assert sorted(out.split()) == [b"0", b"1", b"2"]


def test_the_environment_given_is_the_childs():
    _, out, _ = spawn.run(["sh", "-c", "echo $ISC_SPAWN_TEST"], env={**ENV, "ISC_SPAWN_TEST": "yes"})
    assert out == b"yes\n"


def test_runs_from_many_threads_do_not_hold_each_others_pipes():
    """A pipe end leaked into a slow sibling would keep a quick run waiting for the sibling's end."""
    took: dict[int, float] = {}

    def one(n: int) -> None:
        started = time.monotonic()
        argv = ["sleep", "3"] if n == 0 else ["echo", str(n)]
        rc, out, _ = spawn.run(argv, env=ENV, timeout=20)
        assert rc == 0 and out == (b"" if n == 0 else f"{n}\n".encode())
        took[n] = time.monotonic() - started

    workers = [threading.Thread(target=one, args=(n,)) for n in range(12)]
    for w in workers:
        w.start()
        time.sleep(0.01)
    for w in workers:
        w.join()
    assert len(took) == 12 and took[0] >= 3
    assert max(t for n, t in took.items() if n) < 2


@pytest.mark.parametrize("closed", [0, 1, 2])
def test_isc_started_with_a_standard_descriptor_closed(closed: int):
    """A closed stdin, stdout or stderr makes a new pipe take that number; the child still gets all three.
    The runner hands posix_spawn no standard descriptor to copy: glibc before 2.29 (RHEL 8) leaves a
    descriptor copied onto itself close-on-exec, so the child would start without it (newer glibc clears it,
    which is why the child's answer alone cannot tell here)."""
    r, w = os.pipe()
    code = (f"import os; os.close({closed}); from iscsi_client.system import spawn; "
            "made = []; moved = min(spawn._pipe(made)) > 2; [os.close(fd) for fd in made]; "
            "r = spawn.run(['sh', '-c', 'cat; echo E >&2'], env=dict(os.environ), stdin=b'in', timeout=10); "
            f"os.write({w}, repr((r, moved)).encode())")
    try:
        proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(w,),
                                env={**os.environ, "PYTHONPATH": str(REPO)},
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        answer = os.read(r, 4096)
        proc.wait(30)
    finally:
        os.close(r)
    assert answer == repr(((0, b"in", b"E\n"), True)).encode()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=1, max_codepoint=0xD7FF), max_size=30),
                max_size=6),
       st.binary(max_size=5000))
def test_argv_and_input_reach_the_child_as_given(words: list[str], data: bytes):
    _, out, _ = spawn.run(["sh", "-c", 'for a; do printf "%s\\0" "$a"; done', "sh", *words], env=ENV, timeout=10)
    assert out == b"".join(os.fsencode(w) + b"\0" for w in words)
    assert spawn.run(["cat"], env=ENV, stdin=data, timeout=10) == (0, data, b"")


def test_queued_modules_are_imported_while_the_child_runs(tmp_path):
    """iscsi_client.preload: what a command queued is imported after the child starts and before its output
    is read (the child here waits for that import to tell it to go); a module that fails to import is left for
    the command's own import to raise, and the run is not disturbed."""
    # the module writes to the child's fifo once the child has it open (for at most 5 s: no hang if it is not)
    (tmp_path / "isc_preload_probe.py").write_text(
        "import os, time\nfor _ in range(500):\n    try:\n"
        "        fd = os.open(os.environ['ISC_TEST_FIFO'], os.O_WRONLY | os.O_NONBLOCK)\n        break\n"
        "    except OSError:\n        time.sleep(0.01)\nos.write(fd, b'imported')\nos.close(fd)\n")
    (tmp_path / "isc_preload_broken.py").write_text("raise RuntimeError('broken on purpose')\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    env = dict(os.environ, ISC_TEST_FIFO=str(fifo))
    os.environ["ISC_TEST_FIFO"] = str(fifo)
    sys.path.insert(0, str(tmp_path))
    try:
        from iscsi_client import preload

        preload.queue("isc_preload_broken", "isc_preload_probe")
        # the child reads the fifo: it ends only once the module, imported meanwhile, has written to it
        rc, out, _ = spawn.run(["cat", str(fifo)], env=env, timeout=10)
        assert (rc, out) == (0, b"imported")
        assert "isc_preload_probe" in sys.modules and "isc_preload_broken" not in sys.modules
        with pytest.raises(RuntimeError, match="broken on purpose"):
            import isc_preload_broken  # noqa: F401
        preload.run()  # nothing left
    finally:
        sys.path.remove(str(tmp_path))
        del os.environ["ISC_TEST_FIFO"]
        for m in ("isc_preload_probe", "isc_preload_broken"):
            sys.modules.pop(m, None)
