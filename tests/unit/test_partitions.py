"""Partitioned LUNs (common on real hosts): what keeps a session's disks busy, and what persist accepts."""

from __future__ import annotations

import pytest

from iscsi_client.errors import InUseError
from iscsi_client.kernel_model import BlockDevice, Lun, Session, SessionView
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops.teardown import UDEV_HINT, check_free, holds
from iscsi_client.system.root import Root

T = Iqn.parse("iqn.2003-01.org.isc.lab:multi")


def view(disk: BlockDevice) -> SessionView:
    return SessionView(Session(1, T, Portal("192.0.2.1", 3260, 1)), (Lun("2:0:0:0", 0, "running", disk),))


def test_a_mounted_partition_holds_the_disk(tmp_path):
    part = BlockDevice("sda1", "8:1", 1 << 29, fstype="xfs", fs_uuid="u-1", mountpoints=("/srv/p",))
    disk = BlockDevice("sda", "8:0", 1 << 30, partitions=(part,))
    found = holds(Root(tmp_path), [view(disk)])
    assert [(h.device, h.what, h.kind) for h in found] == [("/dev/sda1", "mounted on /srv/p", "mount")]
    with pytest.raises(InUseError, match="/dev/sda1 mounted on /srv/p"):
        check_free(Root(tmp_path), [view(disk)])


def test_a_partition_used_by_lvm_is_named(tmp_path):
    dm = tmp_path / "sys/class/block/dm-3/dm"
    dm.mkdir(parents=True)
    (dm / "uuid").write_text("LVM-abcdef\n")
    (dm / "name").write_text("vg0-data\n")
    part = BlockDevice("sda2", "8:2", 1 << 29, holders=("dm-3",))
    disk = BlockDevice("sda", "8:0", 1 << 30, partitions=(part,))
    (h,) = holds(Root(tmp_path), [view(disk)])
    assert (h.device, h.what) == ("/dev/sda2", "held by LVM volume vg0-data (dm-3)")


def test_an_unused_partitioned_disk_is_free(tmp_path):
    disk = BlockDevice("sda", "8:0", 1 << 30, partitions=(BlockDevice("sda1", "8:1", 1 << 29),))
    assert holds(Root(tmp_path), [view(disk)]) == []


def test_persist_names_a_partition_instead_of_calling_it_unknown(tmp_path):
    from iscsi_client.errors import UsageError
    from iscsi_client.ops.persist import choose_device

    disk = BlockDevice("sda", "8:0", 1 << 30, partitions=(BlockDevice("sda1", "8:1", 1 << 29),))
    with pytest.raises(UsageError, match=r"/dev/sda1 is a partition of /dev/sda \(LUN 0 of iqn"):
        choose_device(Root(tmp_path), "/dev/sda1", [view(disk)], single_path=False)
    assert choose_device(Root(tmp_path), "/dev/sda", [view(disk)], single_path=False).device == "/dev/sda"


def _open_by(tmp_path, pid: int, comm: str, devnode: str) -> None:
    fd = tmp_path / f"proc/{pid}/fd"
    fd.mkdir(parents=True)
    (tmp_path / f"proc/{pid}/comm").write_text(comm + "\n")
    (fd / "5").symlink_to(devnode)


def test_multipathd_holding_a_map_path_open_is_the_map_not_a_user(tmp_path):
    """multipathd's path checker keeps each path of its maps open; teardown flushes that map, so this is
    no reason to refuse. Any other process with the path open still is."""
    mp = BlockDevice("dm-0", "253:0", 1 << 30, wwid="36001405abc", dm_name="36001405abc",
                     dm_uuid="mpath-36001405abc")
    disk = BlockDevice("sda", "8:0", 1 << 30, wwid="36001405abc", holders=("dm-0",))
    v = SessionView(Session(1, T, Portal("192.0.2.1", 3260, 1)), (Lun("2:0:0:0", 0, "running", disk, mp),))
    _open_by(tmp_path, 240, "multipathd", "/dev/sda")
    assert [h.kind for h in holds(Root(tmp_path), [v])] == ["map"]
    _open_by(tmp_path, 777, "dd", "/dev/sda")
    assert [(h.device, h.what) for h in holds(Root(tmp_path), [v]) if h.kind == "open"] == \
        [("/dev/sda", "open by dd[777]")]


def test_multipathd_holding_the_map_itself_open_is_reported(tmp_path):
    mp = BlockDevice("dm-0", "253:0", 1 << 30, wwid="36001405abc", dm_name="36001405abc",
                     dm_uuid="mpath-36001405abc")
    disk = BlockDevice("sda", "8:0", 1 << 30, wwid="36001405abc", holders=("dm-0",))
    v = SessionView(Session(1, T, Portal("192.0.2.1", 3260, 1)), (Lun("2:0:0:0", 0, "running", disk, mp),))
    _open_by(tmp_path, 240, "multipathd", "/dev/dm-0")
    assert [(h.device, h.kind) for h in holds(Root(tmp_path), [v])] == [("/dev/sda", "map"), ("/dev/dm-0", "open")]


def test_what_is_mounted_on_a_mount_point_is_read_from_mountinfo(tmp_path):
    """The top of a stack of mounts, with the kernel's octal escapes undone (a space in a mount point)."""
    from iscsi_client.system.commands import Commands
    from iscsi_client.system.filesystems import mounted_source

    info = tmp_path / "proc/self/mountinfo"
    info.parent.mkdir(parents=True)
    info.write_text("22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                    "40 22 253:0 / /srv/my\\040data rw,relatime shared:20 - xfs /dev/mapper/3600a rw,attr2\n"
                    "41 40 8:16 / /srv/my\\040data rw,relatime shared:21 - ext4 /dev/sdb rw\n"
                    "42 22 0:5 / /srv/x rw master:3 opt:1 - tmpfs tmpfs rw\n")
    cmd = Commands(Root(tmp_path))
    assert mounted_source(cmd, "/srv/my data") == "/dev/sdb"
    assert mounted_source(cmd, "/srv/x") == "tmpfs"
    assert mounted_source(cmd, "/srv/none") is None


def _udev_view() -> SessionView:
    return view(BlockDevice("sda", "8:0", 1 << 30))


def test_a_disk_open_only_by_udev_workers_is_waited_for_until_they_let_go(tmp_path):
    """udev probes a disk after a writer closes it (wipefs, mkfs): a logout right then is not refused."""
    import threading
    import time

    _open_by(tmp_path, 1071, "(udev-worker)", "/dev/sda")
    (tmp_path / "proc/1071/fd/6").symlink_to("/dev/sda")  # a second descriptor: the worker is named once
    gone = threading.Timer(0.4, lambda: [f.unlink() for f in (tmp_path / "proc/1071/fd").iterdir()])
    started = time.monotonic()
    gone.start()
    assert holds(Root(tmp_path), [_udev_view()], udev_wait=5) == []
    assert 0.3 < time.monotonic() - started < 4


def test_the_multipath_binary_udev_runs_is_waited_for_like_its_workers(tmp_path):
    """udev's multipath rules run `multipath` on a path as it changes (seen in the lab: a logout refused for
    "(udev-worker)[655], multipath[771]" on a path just logged in): waited for, not refused."""
    import threading
    import time

    _open_by(tmp_path, 655, "(udev-worker)", "/dev/sda")
    _open_by(tmp_path, 771, "multipath", "/dev/sda")
    gone = threading.Timer(0.4, lambda: [f.unlink() for pid in (655, 771)
                                         for f in (tmp_path / f"proc/{pid}/fd").iterdir()])
    started = time.monotonic()
    gone.start()
    assert holds(Root(tmp_path), [_udev_view()], udev_wait=5) == []
    assert 0.3 < time.monotonic() - started < 4


def test_a_udev_worker_that_keeps_the_disk_is_reported_after_the_wait(tmp_path):
    import time

    _open_by(tmp_path, 1071, "(udev-worker)", "/dev/sda")
    (tmp_path / "proc/1071/fd/6").symlink_to("/dev/sda")
    started = time.monotonic()
    found = holds(Root(tmp_path), [_udev_view()], udev_wait=0.3)
    assert time.monotonic() - started >= 0.3
    assert [(h.device, h.what, h.kind) for h in found] == [("/dev/sda", "open by (udev-worker)[1071]", "open")]


def test_another_user_beside_a_udev_worker_is_reported_at_once(tmp_path):
    import time

    _open_by(tmp_path, 1071, "systemd-udevd", "/dev/sda")
    _open_by(tmp_path, 777, "dd", "/dev/sda")
    started = time.monotonic()
    (h,) = holds(Root(tmp_path), [_udev_view()], udev_wait=30)
    assert time.monotonic() - started < 5
    assert sorted(h.what.removeprefix("open by ").split(", ")) == ["dd[777]", "systemd-udevd[1071]"]


def test_under_root_a_udev_worker_in_the_tree_is_reported_without_waiting(tmp_path):
    """A tree under --root is a snapshot: nothing in it lets go, so there is nothing to wait for."""
    import time

    _open_by(tmp_path, 1071, "(udev-worker)", "/dev/sda")
    started = time.monotonic()
    (h,) = holds(Root(tmp_path), [_udev_view()])
    assert time.monotonic() - started < 2 and h.what == "open by (udev-worker)[1071]"


def test_a_udev_worker_still_there_after_the_wait_gets_its_own_hint(tmp_path):
    _open_by(tmp_path, 1071, "(udev-worker)", "/dev/sda")
    with pytest.raises(InUseError) as refused:
        check_free(Root(tmp_path), [_udev_view()])
    assert "open by (udev-worker)[1071]" in str(refused.value) and "udevadm settle" in (refused.value.hint or "")
    _open_by(tmp_path, 777, "dd", "/dev/sda")
    with pytest.raises(InUseError) as refused:
        check_free(Root(tmp_path), [_udev_view()])
    assert "udevadm settle" not in (refused.value.hint or "")


def test_a_disk_open_only_by_udev_gets_the_settle_hint_and_one_with_another_user_does_not(tmp_path):
    """The refusal says what to do: wait for udev (udevadm settle) when only its workers have the disk open,
    stop the user otherwise. The hint follows the processes, whatever the message's wording."""
    _open_by(tmp_path, 1071, "(udev-worker)", "/dev/sda")
    with pytest.raises(InUseError) as only_udev:
        check_free(Root(tmp_path), [_udev_view()])
    assert only_udev.value.hint == UDEV_HINT and "(udev-worker)[1071]" in only_udev.value.message
    _open_by(tmp_path, 777, "dd", "/dev/sda")
    with pytest.raises(InUseError) as with_dd:
        check_free(Root(tmp_path), [_udev_view()])
    assert with_dd.value.hint != UDEV_HINT and "dd[777]" in with_dd.value.message
