"""The wheel is a working isc with its completions and man page in the usual data locations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import iscsi_client

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_a_working_isc_with_data_files(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("isc-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("share/man/man8/isc.8", "share/bash-completion/completions/isc",
                 "share/zsh/site-functions/_isc", "share/fish/vendor_completions.d/isc.fish",
                 "share/isc/systemd/isc-metrics.service", "share/isc/systemd/isc-metrics.timer",
                 "share/isc/prometheus/isc-alerts.yml"):
        assert any(n.endswith(".data/data/" + data) for n in names), data
    assert not any("fixtures" in n or n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin/pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    out = subprocess.run([venv / "bin/isc", "--version"], check=True, capture_output=True, text=True).stdout
    assert out == f"isc {iscsi_client.__version__}\n"
    assert (venv / "share/man/man8/isc.8").read_text() == (REPO / "man/isc.8").read_text()
    assert (venv / "share/bash-completion/completions/isc").exists()
    # TAB is answered from the table shipped beside the code (package data), by the installed console script
    tab = subprocess.run([venv / "bin/isc"], capture_output=True, text=True,
                         env={"_ISC_COMPLETE": "bash_complete", "COMP_WORDS": "isc lo", "COMP_CWORD": "1"})
    assert (tab.returncode, tab.stdout.split()) == (0, ["plain,login", "plain,logout"])


def test_pipx_install_gives_a_working_isc(tmp_path):
    """`pipx install .` as the README says (dependencies come from the package index)."""
    pipx = shutil.which("pipx")
    if pipx is None:
        if os.environ.get("ISC_REQUIRE_HOST") == "1":
            pytest.fail("pipx is not installed (tests/run-all.sh installs it)")
        pytest.skip("pipx is not installed")
    env = dict(os.environ, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"))
    done = subprocess.run([pipx, "install", str(REPO)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    isc = tmp_path / "bin" / "isc"
    out = subprocess.run([isc, "--version"], check=True, capture_output=True, text=True).stdout
    assert out == f"isc {iscsi_client.__version__}\n"
    root = tmp_path / "root"
    (root / "etc/iscsi/nodes").mkdir(parents=True)
    r = subprocess.run([isc, "--root", str(root), "--json", "nodes"], capture_output=True, text=True)
    assert r.returncode == 0 and '"nodes": []' in r.stdout.replace('"nodes":[]', '"nodes": []')
    venv = tmp_path / "pipx/venvs/isc"
    assert (venv / "share/man/man8/isc.8").read_text() == (REPO / "man/isc.8").read_text()
    assert (venv / "share/zsh/site-functions/_isc").exists()
