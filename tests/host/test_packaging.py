"""The wheel is a working isc with its completions and man page in the usual data locations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import iscsi_client

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_a_working_isc_with_data_files(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("isc-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("share/man/man8/isc.8", "share/bash-completion/completions/isc",
                 "share/zsh/site-functions/_isc", "share/fish/vendor_completions.d/isc.fish"):
        assert any(n.endswith(".data/data/" + data) for n in names), data
    assert not any("fixtures" in n or n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin/pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    out = subprocess.run([venv / "bin/isc", "--version"], check=True, capture_output=True, text=True).stdout
    assert out == f"isc {iscsi_client.__version__}\n"
    assert (venv / "share/man/man8/isc.8").read_text() == (REPO / "man/isc.8").read_text()
    assert (venv / "share/bash-completion/completions/isc").exists()
