"""Placeholders replaced by secrets in record files (system/record_secrets.py), on a tree laid out as
iscsiadm leaves it: every other byte kept, the mode kept, no backup, open-iscsi's lock honoured."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from iscsi_client.errors import IscError
from iscsi_client.model import Secret
from iscsi_client.system.record_secrets import fill, open_iscsi_lock, placeholder
from iscsi_client.system.root import Root

TARGET = "iqn.2003-01.org.isc.lab:chap"


def record(root: Path, token: str, portal: str = "127.0.0.1,3260,1") -> Path:
    path = root / "etc/iscsi/nodes" / TARGET / portal / "default"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"# BEGIN RECORD 2.1.8\nnode.name = " + TARGET.encode() + b"\n"
                     b"node.session.auth.authmethod = CHAP\nnode.session.auth.username = labuser\n"
                     b"node.session.auth.password = " + token.encode() + b"\n"
                     b"node.comment = caf\xe9\n# END RECORD\n")
    path.chmod(0o600)
    return path


def test_every_record_with_the_placeholder_gets_the_secret(tmp_path: Path):
    token = placeholder()
    paths = [record(tmp_path, token), record(tmp_path, token, "127.0.0.2,3260,1")]
    before = paths[0].read_bytes()
    assert fill(Root(tmp_path), {token: Secret("labsecret1234")}) == 2
    for p in paths:
        assert p.read_bytes() == before.replace(token.encode(), b"labsecret1234")  # latin-1 byte kept
        assert p.stat().st_mode & 0o777 == 0o600
    assert sorted(x.name for x in paths[0].parent.iterdir()) == ["default"]  # no backup, no temp file
    assert not (tmp_path / "run/lock/iscsi/lock.write").exists()  # released


def test_a_placeholder_found_nowhere_is_an_error(tmp_path: Path):
    record(tmp_path, placeholder())
    with pytest.raises(IscError, match="no record file"):
        fill(Root(tmp_path), {placeholder(): Secret("labsecret1234")})


def test_waits_for_open_iscsis_lock(tmp_path: Path):
    token = placeholder()
    path = record(tmp_path, token)
    root = Root(tmp_path)
    done: list[float] = []
    with open_iscsi_lock(root):  # as an iscsiadm holding it would
        worker = threading.Thread(target=lambda: done.append(fill(root, {token: Secret("labsecret1234")})))
        worker.start()
        time.sleep(0.3)
        assert not done and token.encode() in path.read_bytes()  # still waiting
    worker.join(5)
    assert done == [1] and b"labsecret1234" in path.read_bytes()


def test_a_stale_lock_times_out_with_its_path(tmp_path: Path):
    d = tmp_path / "run/lock/iscsi"
    d.mkdir(parents=True)
    (d / "lock").touch()
    os.link(d / "lock", d / "lock.write")
    with pytest.raises(IscError, match="lock.write"), open_iscsi_lock(Root(tmp_path), timeout=0.2):
        pass
