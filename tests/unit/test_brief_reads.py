"""A logout's brief reads (sysfs.read_sessions and blockdev.session_views with brief=True): the same sessions,
disks, partitions, maps, holders and mounts as the full read of the lab's snapshots, without the attributes a
logout does not look at (states, the portal's tpgt, SCSI details, the udev database), and without opening their
files."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from refdata import FIXTURES, lab_snapshot

from iscsi_client.kernel_model import BlockDevice
from iscsi_client.system import blockdev, sysfs
from iscsi_client.system.root import Root

SKIPPED = ("state", "recovery_tmo", "initiatorname", "tpgt", "type", "vendor", "model", "size", "ro", "wwid")


def skipped(path: str) -> bool:
    return path.rsplit("/", 1)[1] in SKIPPED or "/run/udev/data/" in path


def bare(dev: BlockDevice | None) -> BlockDevice | None:
    """A device as a brief read gives it: no udev record (links, filesystem, serial), size or read-only flag;
    a map keeps the WWID its dm uuid names."""
    if dev is None:
        return None
    return replace(dev, size_bytes=0, read_only=False, vendor=None, model=None, fstype=None, fs_uuid=None,
                   fs_label=None, links=(), wwid=dev.wwid if dev.is_multipath else None,
                   partitions=tuple(p for p in map(bare, dev.partitions) if p is not None))


@pytest.mark.parametrize("snapshot", sorted(p.name.removesuffix(".tar.gz")
                                            for p in (FIXTURES / "lab-root").glob("*.tar.gz")))
def test_brief_views_are_the_full_views_less_the_states_and_scsi_details(tmp_path, snapshot: str):
    root = Root(lab_snapshot(tmp_path, snapshot))
    full = blockdev.session_views(root)
    assert full and any(lun.disk for v in full for lun in v.luns)
    reads: list[str] = []
    listening = [True]  # an audit hook stays for the life of the process: it collects only until this ends

    def hook(event: str, args: tuple[object, ...]) -> None:
        if listening[0] and event == "open" and isinstance(args[0], str) and args[0].startswith(str(root.path)):
            reads.append(args[0])

    sys.addaudithook(hook)
    brief = blockdev.session_views(root, brief=True)
    listening[0] = False

    expected = [replace(v, session=replace(v.session, state=None, connection_state=None, initiator=None,
                                           recovery_tmo=None, portal=v.session.portal.without_tpgt()),
                        luns=tuple(replace(lun, state=None, kind=None, inquiry=None, disk=bare(lun.disk),
                                           map=bare(lun.map)) for lun in v.luns))
                for v in full]
    assert brief == expected
    assert [s for s in sysfs.read_sessions(root, brief=True)] == [v.session for v in expected]
    assert reads and not [p for p in reads if skipped(p)], reads


def partitioned(tmp_path: Path) -> Root:
    """The tgt snapshot with a GPT partition on sde (sde1, 8:65, mounted on /srv/part): what a full read finds
    through the disk's udev record (ID_PART_TABLE_TYPE) and a brief one in sysfs alone."""
    path = lab_snapshot(tmp_path, "tgt")
    disk = (path / "sys/class/block/sde").resolve()
    (disk / "sde1").mkdir()
    for name, value in (("dev", "8:65"), ("partition", "1"), ("size", "2048"), ("ro", "0")):
        (disk / "sde1" / name).write_text(value + "\n")
    (disk / "sde1" / "holders").mkdir()
    os.symlink(os.path.relpath(disk / "sde1", path / "sys/class/block"), path / "sys/class/block/sde1")
    with open(path / "run/udev/data/b8:64", "a") as f:
        f.write("E:ID_PART_TABLE_TYPE=gpt\n")
    (path / "run/udev/data/b8:65").write_text("E:ID_FS_TYPE=xfs\nE:ID_FS_UUID=0f3c\n")
    with open(path / "proc/self/mountinfo", "a") as f:
        f.write("99 27 8:65 / /srv/part rw,relatime shared:50 - xfs /dev/sde1 rw\n")
    return Root(path)


def test_a_brief_read_finds_the_partitions_and_maps_a_full_read_finds(tmp_path):
    root = partitioned(tmp_path)
    full, brief = blockdev.session_views(root), blockdev.session_views(root, brief=True)
    parts = [p for v in brief for lun in v.luns if lun.disk for p in lun.disk.partitions]
    assert [(p.name, p.mountpoints) for p in parts] == [("sde1", ("/srv/part",))]
    assert [bare(lun.disk) for v in full for lun in v.luns] == [lun.disk for v in brief for lun in v.luns]
    assert {lun.map.wwid for v in brief for lun in v.luns if lun.map} == \
        {lun.map.wwid for v in full for lun in v.luns if lun.map} != {None}


def test_a_teardown_reads_briefly(tmp_path):
    """`isc logout --all --teardown` up to its first command (refused under --root) opens none of the skipped
    attributes: the logout asks for the brief reads."""
    import subprocess

    root = str(lab_snapshot(tmp_path))
    code = ("import sys; seen = []\n"
            "sys.addaudithook(lambda e, a: seen.append(a[0]) if e == 'open' and isinstance(a[0], str) else None)\n"
            f"sys.argv = ['isc', '--root', {root!r}, 'logout', '--all', '--teardown', '--unmount']\n"
            "from iscsi_client.cli.entry import main\n"
            "try:\n    main()\nfinally:\n"
            f"    sys.stderr.write('\\nREAD ' + ' '.join(p for p in seen if p.startswith({root!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "unmounting /srv/data needs the live host" in r.stderr, r.stderr
    read = r.stderr.rsplit("\nREAD ", 1)[1].split()
    assert any(p.endswith("/targetname") for p in read), read
    assert not [p for p in read if skipped(p)], read
