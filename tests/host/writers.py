"""The commands that write system files, run under --root over a lab snapshot: shared by the full /etc and
the kill -9 tests (issue 16)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "tests" / "fixtures" / "lab-root" / "multipath.tar.gz"
MULTI = "iqn.2003-01.org.isc.lab:multi"
WWID = "360014055a1f0c3e00014c1a9d0015c00"
ISC = [sys.executable, "-m", "iscsi_client"]

COMMANDS = [
    ("initiator", "set", "iqn.2005-03.org.isc.lab:renamed"),
    ("startup", MULTI, "automatic"),
    ("nodes", "set", MULTI, "node.session.queue_depth=64"),
    ("unpersist", "/srv/data"),
    ("multipath", "config", "--write"),
    ("config", "restore", "@DUMP@"),
]
BACKUP = re.compile(r"\.isc-\d{8}T\d{6}(\.\d+)?$")


def make_source(base: Path) -> Path:
    """The snapshot's root, with an isc fstab line to unpersist and a dump (base/dump.toml) whose restore
    changes both records' node.startup."""
    with tarfile.open(SNAPSHOT) as tar:
        tar.extractall(base, filter="tar")
    src = base / "multipath"
    with open(src / "etc/fstab", "a") as f:
        f.write(f"# isc: {MULTI} lun 0\n/dev/disk/by-id/dm-uuid-mpath-{WWID} /srv/data xfs _netdev,nofail 0 0\n")
    dump = base / "dump.toml"
    subprocess.run([*ISC, "--root", str(src), "config", "dump", "-o", str(dump)], check=True, capture_output=True,
                   cwd=REPO)
    text = dump.read_text()
    assert 'startup = "manual"' in text, text
    dump.write_text(text.replace('startup = "manual"', 'startup = "automatic"'))
    return src


def argv(args: tuple[str, ...], source: Path) -> list[str]:
    return [a.replace("@DUMP@", str(source.parent / "dump.toml")) for a in args]


def etc_files(root: Path) -> dict[str, bytes]:
    """Every file under root/etc (backups isc made left out), by path relative to root."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "etc").rglob("*"))
            if p.is_file() and not p.is_symlink() and not BACKUP.search(p.name)}
