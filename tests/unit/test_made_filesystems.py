"""The record of filesystems isc made (persist --mkfs): what lets a rerun after a kill converge without ever
taking someone else's filesystem for isc's own."""

from __future__ import annotations

import stat
from pathlib import Path

from iscsi_client.system import made_filesystems as made
from iscsi_client.system.root import Root


def test_a_filesystem_is_isc_s_only_for_the_mount_point_it_was_made_for(tmp_path: Path) -> None:
    root = Root(tmp_path)
    u = made.new_uuid()
    assert made.made_for(root, u, "/srv/a") is None
    made.remember(root, made.Made(u, "/srv/a", "xfs", "/dev/sdb"))
    assert made.made_for(root, u.upper(), "/srv/a") == made.Made(u, "/srv/a", "xfs", "/dev/sdb")  # blkid case
    assert made.made_for(root, u, "/srv/b") is None
    assert made.made_for(root, made.new_uuid(), "/srv/a") is None
    assert made.made_for(root, None, "/srv/a") is None
    f = tmp_path / "var/lib/isc/made-filesystems.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600 and stat.S_IMODE(f.parent.stat().st_mode) == 0o700


def test_the_list_keeps_the_newest_and_a_damaged_file_reads_as_none(tmp_path: Path) -> None:
    root = Root(tmp_path)
    uuids = [made.new_uuid() for _ in range(made.KEEP + 5)]
    for u in uuids:
        made.remember(root, made.Made(u, "/srv/x", "ext4", "/dev/sdc"))
    kept = [m.uuid for m in made.read(root)]
    assert kept == uuids[-made.KEEP:]
    for junk in (b"", b"\xff\xfe not json", b'{"uuid": 1}', b'[{"uuid": "x"}]', b"[1, 2]"):
        (tmp_path / "var/lib/isc/made-filesystems.json").write_bytes(junk)
        assert made.read(root) == [] and made.made_for(root, uuids[-1], "/srv/x") is None  # refusing is safe
