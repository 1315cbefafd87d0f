"""isc run by a user who is not root, or meeting any other system error: a clear one-line error (exit 6 for
permission, naming what it could not read), never a traceback and never an empty answer that hides the
problem ('no node records')."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")


def _as_nobody(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """isc from this checkout, with this venv's packages, run by the system's python3 as nobody (this test
    runner's own interpreter may live where nobody cannot read, e.g. under /root)."""
    paths = os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]])
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(SYSTEM_PYTHON),
                           "-m", "iscsi_client", "--root", str(root), *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": paths, "LC_ALL": "C.UTF-8"}, cwd="/")


def _usable() -> str | None:
    if os.geteuid() != 0:
        return "needs root to switch to nobody"
    if shutil.which("setpriv") is None or not SYSTEM_PYTHON.exists():
        return "needs setpriv and /usr/bin/python3"
    v = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                       text=True).stdout.strip()
    if v != str(tuple(sys.version_info[:2])):
        return f"/usr/bin/python3 is {v}, the test venv {sys.version_info[:2]}"
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r",
                            str(REPO / "iscsi_client" / "__init__.py")])
    if probe.returncode != 0:
        return "this checkout is not readable by nobody"
    return None


@pytest.fixture
def image(tmp_path: Path) -> Path:
    tmp_path.chmod(0o755)
    etc = tmp_path / "etc" / "iscsi"
    (etc / "nodes" / "iqn.2003-01.org.example:disk1" / "192.0.2.10,3260,1").mkdir(parents=True)
    (etc / "nodes" / "iqn.2003-01.org.example:disk1" / "192.0.2.10,3260,1" / "default").write_text(
        "node.name = iqn.2003-01.org.example:disk1\nnode.conn[0].address = 192.0.2.10\n")
    (etc / "initiatorname.iscsi").write_text("InitiatorName=iqn.2005-03.org.example:host1\n")
    for d in (tmp_path / "etc", etc):
        d.chmod(0o755)
    (etc / "nodes").chmod(0o700)  # as open-iscsi leaves /etc/iscsi/nodes: root only
    (etc / "initiatorname.iscsi").chmod(0o600)
    return tmp_path


@pytest.mark.skipif(_usable() is not None, reason=str(_usable()))
@pytest.mark.parametrize(("args", "path"), [(["nodes"], "/etc/iscsi/nodes"),
                                            (["initiator"], "/etc/iscsi/initiatorname.iscsi"),
                                            (["--json", "nodes"], "/etc/iscsi/nodes")])
def test_a_user_who_may_not_read_gets_one_line_and_exit_6(image, args, path):
    r = _as_nobody(image, *args)
    assert r.returncode == 6, r.stdout + r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    out = r.stdout if "--json" in args else r.stderr
    assert f"permission denied: {image}{path}" in out and "run it as root" in out


@pytest.mark.skipif(_usable() is not None, reason=str(_usable()))
def test_a_directory_that_may_not_even_be_looked_into_is_not_taken_for_absent(image):
    """/etc/iscsi itself root-only (some distributions): stat() of what is inside fails, which a plain
    is_dir() would read as 'no records'."""
    (image / "etc" / "iscsi").chmod(0o700)
    r = _as_nobody(image, "nodes")
    assert r.returncode == 6 and f"permission denied: {image}/etc/iscsi/nodes" in r.stderr, r.stdout + r.stderr


def test_any_other_system_error_is_one_line_too(tmp_path):
    """A file isc cannot write for another reason (here /etc/iscsi is a file in the image) is one line with
    the system's own words and exit 1, in text and in JSON; never a traceback."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "iscsi").write_text("not a directory\n")
    run = [sys.executable, "-m", "iscsi_client", "--root", str(tmp_path)]
    r = subprocess.run([*run, "initiator", "set", "iqn.2005-03.org.example:h1"], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"isc: error: Not a directory: {tmp_path}/etc/iscsi/initiatorname.iscsi\n"
    j = subprocess.run([*run, "--json", "initiator", "set", "iqn.2005-03.org.example:h1"], capture_output=True,
                       text=True, cwd=REPO)
    assert j.returncode == 1 and json.loads(j.stdout)["error"]["exit_code"] == 1
