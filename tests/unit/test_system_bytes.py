"""System files are bytes: a byte that is not UTF-8 (a latin-1 comment in an old /etc/fstab or
initiatorname.iscsi) is kept exactly through every edit isc makes, and no command meets it with a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iscsi_client.system.files import read_text, write_atomic

IQN = "iqn.2003-01.org.example:disk1"
OTHER = b"# Ger\xe4te f\xfcr das Lager (latin-1)\n/dev/vda1 / ext4 defaults 0 1\n"


def isc(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(root), *args], capture_output=True,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(Path.cwd())})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_read_and_written_back_are_the_same_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("f") / "fstab"
    path.write_bytes(data)
    text = read_text(path)
    assert text is not None
    write_atomic(path, text, keep_backup=False)
    assert path.read_bytes() == data


def make_root(tmp_path: Path) -> Path:
    (tmp_path / "etc/iscsi").mkdir(parents=True)
    (tmp_path / "etc/iscsi/initiatorname.iscsi").write_bytes(
        b"## Nom de l'initiateur (\xe9crit \xe0 la main)\nInitiatorName=iqn.2005-03.org.example:host1\n")
    (tmp_path / "etc/fstab").write_bytes(
        OTHER + f"# isc: {IQN} lun 0\nUUID=1b2c /srv/x xfs _netdev,nofail 0 0\n".encode() + b"# fin \xa7\n")
    return tmp_path


def test_unpersist_keeps_every_byte_it_does_not_own(tmp_path):
    root = make_root(tmp_path)
    r = isc(root, "unpersist", "/srv/x")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert (root / "etc/fstab").read_bytes() == OTHER + b"# fin \xa7\n"


def test_read_only_commands_meet_such_bytes_without_a_traceback(tmp_path):
    root = make_root(tmp_path)
    for args in (["doctor", "--no-mtu"], ["config", "dump"], ["initiator"], ["--json", "doctor", "--no-mtu"],
                 ["status"]):
        r = isc(root, *args)
        assert b"Traceback" not in r.stderr and r.returncode in (0, 1), (args, r.stderr)
    dump = isc(root, "config", "dump")
    assert b"/srv/x" in dump.stdout and b"iqn.2005-03.org.example:host1" in dump.stdout
    assert b"iqn.2005-03.org.example:host1" in isc(root, "initiator").stdout


def test_a_record_value_that_is_not_utf8_stops_the_dump_instead_of_changing_it(tmp_path):
    """Read as U+FFFD, a latin-1 CHAP user name went into the dump and config restore set another name."""
    root = make_root(tmp_path)
    (root / "etc/fstab").write_bytes(OTHER)
    rec = root / "etc/iscsi/nodes" / IQN / "192.0.2.10,3260,1" / "default"
    rec.parent.mkdir(parents=True)
    rec.write_bytes(b"# BEGIN RECORD 2.1.8\nnode.name = " + IQN.encode() + b"\nnode.tpgt = 1\n"
                    b"node.startup = manual\nnode.conn[0].startup = manual\nnode.session.auth.authmethod = CHAP\n"
                    b"node.session.auth.username = m\xfcller\nnode.conn[0].address = 192.0.2.10\n"
                    b"node.conn[0].port = 3260\n# END RECORD\n")
    r = isc(root, "config", "dump")
    assert r.returncode == 2 and b"chap user with bytes that are not UTF-8" in r.stderr, r.stderr
    assert b"Traceback" not in r.stderr
    nodes = isc(root, "nodes")
    assert nodes.returncode == 0 and b"m\xfcller" in nodes.stdout  # shown as the bytes it is
    # isc's own edit of the image's record keeps that byte
    assert isc(root, "startup", IQN, "automatic").returncode == 0
    assert b"node.session.auth.username = m\xfcller\n" in rec.read_bytes()
    assert b"node.startup = automatic\n" in rec.read_bytes()
