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
mount --make-rprivate / && mount -t tmpfs -o size=512k,nr_inodes=4096 tmpfs "$R/etc" && cp -a "$SRC/etc/." "$R/etc/" ||
  exit 90
case "$MODE" in
  full) dd if=/dev/zero of="$R/etc/filler" bs=4k 2>/dev/null; : ;;
  ro) mount -o remount,ro "$R/etc" || exit 91 ;;
  inodes) i=0; while true > "$R/etc/.filler$i"; do i=$((i + 1)); done 2>/dev/null ;;
esac
"$@" > "$T/out" 2> "$T/err"
echo $? > "$T/rc"
rm -f "$R/etc/filler" "$R/etc"/.filler* 2>/dev/null
diff -r "$SRC/etc" "$R/etc" > "$T/diff" 2>&1
find "$R/etc" -name '*.isc-tmp*' -o -name '.*.tmp' > "$T/tmp"
exit 0
'''

@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (a mount namespace with a tmpfs)")
    return make_source(tmp_path_factory.mktemp("etc-src"))


@pytest.mark.parametrize("mode", ["full", "inodes", "ro"])
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
    why = "Read-only file system" if mode == "ro" else "No space left on device"
    assert why in lines[0] and "/etc/" in lines[0], err
    assert (tmp_path / "diff").read_text() == ""  # every file as it was
    assert (tmp_path / "tmp").read_text() == ""  # no temporary file left


# The same on the live host's node database (/etc/iscsi, bound per test by hostenv), with the real iscsiadm
# and tgtd: iscsiadm itself exits 0 on a full database and leaves every record it "adds" empty, so isc must
# refuse before it runs. Raw iscsiadm first (in its own copy), then isc.
LIVE = r'''
set -u
mount -t tmpfs -o size=1m,nr_inodes=1024 tmpfs /etc/iscsi && cp -a "$ISC_T/etc-iscsi/." /etc/iscsi/ || exit 90
case "$MODE" in
  full) dd if=/dev/zero of=/etc/iscsi/filler bs=4k 2>/dev/null; : ;;
  ro) mount -o remount,ro /etc/iscsi || exit 91 ;;
  inodes) i=0; while true > "/etc/iscsi/.filler$i"; do i=$((i + 1)); done 2>/dev/null  # then 10 inodes free:
    rm -f /etc/iscsi/.filler[0-9] ;;  # room for a few files, not for a discovery's records and directories
esac
"$@" > "$ISC_T/out" 2> "$ISC_T/err"
echo $? > "$ISC_T/rc"
find /etc/iscsi/nodes /etc/iscsi/send_targets -type f -size 0 2>/dev/null | sort > "$ISC_T/empty"
rm -f /etc/iscsi/filler /etc/iscsi/.filler* 2>/dev/null
diff -r "$ISC_T/etc-iscsi" /etc/iscsi > "$ISC_T/diff" 2>&1
exit 0
'''


def _on_small_database(host, mode: str, *argv: str) -> tuple[int, str, str, str]:
    done = host.run(["sh", "-c", LIVE, "sh", *argv], env={"MODE": mode, "ISC_CHAP_PASSWORD": "s3cretS3cret99"})
    assert done.returncode == 0, done.stderr
    t = host.dir
    return (int((t / "rc").read_text()), (t / "err").read_text(), (t / "empty").read_text(),
            (t / "diff").read_text())


def test_raw_iscsiadm_on_a_full_database_says_success_and_leaves_empty_records(tgtd, host):
    rc, err, empty, _ = _on_small_database(host, "full", "iscsiadm", "-m", "discovery", "-t", "st", "-p",
                                           "127.0.0.1", "-I", "lab")
    assert rc == 0 and "st_config" in empty and "/etc/iscsi/nodes/" in empty, (err, empty)


@pytest.mark.parametrize("mode", ["full", "inodes", "ro"])
@pytest.mark.parametrize("args", [("discover", "127.0.0.1", "--iface", "lab"),
                                  ("nodes", "add", "iqn.2003-01.org.isc.host:noauth", "127.0.0.1"),
                                  ("chap", "iqn.2003-01.org.isc.host:chap", "--user", "u")],
                         ids=lambda a: " ".join(a[:2]))
def test_isc_refuses_a_full_or_read_only_database_before_iscsiadm_runs(tgtd, host, mode, args):
    if args[0] == "chap":  # a record to change: made before the database fills up
        assert host.isc("nodes", "add", "iqn.2003-01.org.isc.host:chap", "127.0.0.1").returncode == 0
    rc, err, empty, diff = _on_small_database(host, mode, *ISC, "-v", *args)
    assert rc == 1, err
    assert "Traceback" not in err and "+ iscsiadm" not in err  # refused before any iscsiadm ran
    lines = [ln for ln in err.splitlines() if ln.startswith("isc: error:")]
    why = {"full": "No space left on device", "inodes": "No space left on device (10 free inodes, fewer than 256)",
           "ro": "Read-only file system"}[mode]
    assert len(lines) == 1 and why in lines[0] and "/etc/iscsi" in lines[0], err
    assert empty == "" and diff == ""  # every record as it was, none left empty
