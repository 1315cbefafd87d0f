"""isc config dump -o: '-' is standard output; a file that is not an isc dump (a mistyped /etc/passwd) is
not replaced without --force; under --json every answer is one JSON document, dry runs included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def isc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(cwd / "img"), *args],
                          capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(Path.cwd())})


def setup(tmp_path: Path) -> Path:
    (tmp_path / "img/etc/iscsi").mkdir(parents=True)
    (tmp_path / "img/etc/iscsi/initiatorname.iscsi").write_text("InitiatorName=iqn.2005-03.org.example:h1\n")
    return tmp_path


def test_dash_is_standard_output(tmp_path):
    d = setup(tmp_path)
    r = isc(d, "config", "dump", "-o", "-")
    assert r.returncode == 0 and r.stdout.startswith("# isc configuration")
    assert not (d / "-").exists()


def test_a_file_that_is_not_a_dump_is_not_replaced_without_force(tmp_path):
    d = setup(tmp_path)
    passwd = d / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    r = isc(d, "config", "dump", "-o", str(passwd))
    assert r.returncode == 7 and "is not an isc dump" in r.stderr and "--force" in r.stderr
    assert passwd.read_text() == "root:x:0:0:root:/root:/bin/bash\n"
    assert isc(d, "config", "dump", "-o", str(passwd), "--force").returncode == 0
    assert passwd.read_text().startswith("# isc configuration")
    assert [p.name for p in d.glob("passwd.isc-*")]  # the old file kept as a backup
    again = isc(d, "config", "dump", "-o", str(passwd))  # an isc dump is replaced as before
    assert again.returncode == 0, again.stderr


def test_json_answers_are_json(tmp_path):
    d = setup(tmp_path)
    doc = json.loads(isc(d, "--json", "config", "dump", "-o", str(d / "x.toml")).stdout)
    assert doc["dump"]["written"] and (d / "x.toml").read_text().startswith("# isc configuration")
    dry = json.loads(isc(d, "--json", "--dry-run", "config", "dump", "-o", str(d / "y.toml")).stdout)
    assert not dry["dump"]["written"] and not (d / "y.toml").exists()
    comp = json.loads(isc(d, "--json", "--dry-run", "completion", "install", "--shell", "bash", "--system").stdout)
    assert comp["completion"]["shell"] == "bash" and not comp["completion"]["written"]
    assert comp["completion"]["path"].endswith("/usr/share/bash-completion/completions/isc")
    assert not Path(comp["completion"]["path"]).exists()
