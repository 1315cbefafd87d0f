"""README's demo command must keep working: run the demo end to end (its own guest) and check that every
step exited as the demo expects and that the flow ended with a mounted, persisted filesystem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
HERE = Path(__file__).resolve().parent


def test_readme_demo_runs_clean(lab_image):  # lab_image: built (or skipped) like every lab test
    r = subprocess.run([sys.executable, str(HERE / "demo.py")], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 step(s) failed" in r.stdout
    assert "/srv/data" in r.stdout and "_netdev,nofail" in r.stdout
    assert "refusing to log out" in r.stdout
    assert 'chap_user = "labuser"' in r.stdout and "labsecret1234" not in r.stdout  # the dump, without secrets
