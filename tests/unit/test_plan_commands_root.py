"""connect, disconnect and apply log in, mount and tear down: under --root (an image) they refuse with exit 2
before reading a secret or changing a file, in text and as one JSON document."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def isc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("command", [
    ["connect", "192.0.2.10", "--target", "iqn.2003-01.org.example:d1", "--mount", "/srv/d"],
    ["disconnect", "iqn.2003-01.org.example:d1"],
])
def test_under_root_the_plan_commands_refuse_and_change_nothing(tmp_path, command):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    r = isc("--root", str(tmp_path), *command)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--root" in r.stderr or "image" in r.stderr
    doc = json.loads(isc("--root", str(tmp_path), "--json", *command).stdout)
    assert doc["error"]["exit_code"] == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_apply_refuses_a_document_with_a_bad_flag_before_anything(tmp_path):
    doc = tmp_path / "d.toml"
    doc.write_text('schema_version = 1\n[[nodes]]\ntarget = "iqn.2003-01.org.example:d1"\n'
                   'portal = "192.0.2.10:3260"\nlogin = 1\n')
    r = isc("--root", str(tmp_path), "apply", str(doc))
    assert r.returncode == 2 and "login must be true or false" in r.stderr
