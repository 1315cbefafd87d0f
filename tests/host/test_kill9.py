"""kill -9 at random moments of every command that writes (issue 16), under --root over a lab snapshot:
afterwards every file isc owns is the old or the new version, the lock is not stuck, and running the same
command again converges to what one uninterrupted run gives, leaving no temporary file (a killed write's temp
file carries its pid; the next write to that file removes it)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from writers import COMMANDS, ISC, REPO, argv, etc_files, make_source

KILLS = int(os.environ.get("ISC_KILLS", "10"))  # per command


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("kill-src"))


def isc(root: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*ISC, "--root", str(root), *args], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_kill_9_at_random_moments_then_the_same_command_converges(source: Path, tmp_path: Path,
                                                                   args: tuple[str, ...]) -> None:
    cmd = argv(args, source)
    old = etc_files(source)
    clean = tmp_path / "clean"
    shutil.copytree(source, clean, symlinks=True)
    t0 = time.monotonic()
    assert isc(clean, cmd).wait(timeout=60) == 0
    took = time.monotonic() - t0
    new = etc_files(clean)
    assert new != old, "the command changes nothing: no kill could be caught in the middle"
    rng = random.Random(f"{args}")  # the same moments on every run
    for n in range(KILLS):
        root = tmp_path / f"kill{n}"
        shutil.copytree(source, root, symlinks=True)
        p = isc(root, cmd)
        time.sleep(rng.uniform(0.3, 1.0) * took)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        now = etc_files(root)
        temps = [k for k in now if k.endswith(".isc-tmp")]
        for name in set(old) | set(new):
            assert now.get(name) in (old.get(name), new.get(name)), (n, name)  # old or new, never half
        again = subprocess.run([*ISC, "--root", str(root), *cmd], cwd=REPO, capture_output=True, text=True,
                               timeout=60)  # a stuck lock would hang here
        assert again.returncode == 0, (n, again.stderr)
        after = etc_files(root)
        assert after == new, (n, sorted(k for k in set(after) | set(new) if after.get(k) != new.get(k)), temps)
