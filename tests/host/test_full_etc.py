"""A full or read-only /etc (issue 16): every command that writes fails with one line naming the file, and
leaves every file as it was, no temporary file behind. Real kernel errors (ENOSPC from a small tmpfs, EROFS
from a read-only one), under --root over a lab snapshot, in a mount namespace of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from writers import COMMANDS, ISC, REPO, argv, make_source

# Fill the tmpfs (ENOSPC) or make it read-only (EROFS), run isc, then compare every file with the original.
SCRIPT = r'''
set -u
mount --make-rprivate / && mount -t tmpfs -o size=512k tmpfs "$R/etc" && cp -a "$SRC/etc/." "$R/etc/" || exit 90
case "$MODE" in
  full) dd if=/dev/zero of="$R/etc/filler" bs=4k 2>/dev/null; : ;;
  ro) mount -o remount,ro "$R/etc" || exit 91 ;;
esac
"$@" > "$T/out" 2> "$T/err"
echo $? > "$T/rc"
rm -f "$R/etc/filler" 2>/dev/null
diff -r "$SRC/etc" "$R/etc" > "$T/diff" 2>&1
find "$R/etc" -name '*.isc-tmp*' -o -name '.*.tmp' > "$T/tmp"
exit 0
'''

@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (a mount namespace with a tmpfs)")
    return make_source(tmp_path_factory.mktemp("etc-src"))


@pytest.mark.parametrize("mode", ["full", "ro"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_writing_command_on_a_full_or_read_only_etc_fails_cleanly(source: Path, tmp_path: Path, mode: str,
                                                                     args: tuple[str, ...]) -> None:
    root = tmp_path / "root"
    shutil.copytree(source, root, symlinks=True)
    env = dict(os.environ, SRC=str(source), R=str(root), T=str(tmp_path), MODE=mode)
    done = subprocess.run(["unshare", "-m", "--", "sh", "-c", SCRIPT, "sh", *ISC, "--root", str(root),
                           *argv(args, source)], env=env, capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    rc = int((tmp_path / "rc").read_text())
    err = (tmp_path / "err").read_text()
    assert rc != 0, (tmp_path / "out").read_text()
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("isc: error:")]
    assert len(lines) == 1, err
    why = "No space left on device" if mode == "full" else "Read-only file system"
    assert why in lines[0] and "/etc/" in lines[0], err
    assert (tmp_path / "diff").read_text() == ""  # every file as it was
    assert (tmp_path / "tmp").read_text() == ""  # no temporary file left
