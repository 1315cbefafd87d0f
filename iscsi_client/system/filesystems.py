"""Filesystems on block devices: probe (blkid), create (mkfs), mount, verify (findmnt)."""

from __future__ import annotations

from iscsi_client.records import record
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root


@record
class Probe:
    fstype: str | None  # a filesystem or another signature: xfs, LVM2_member, crypto_LUKS, swap
    uuid: str | None
    label: str | None
    pttype: str | None = None  # a partition table: gpt, dos


def probe(cmd: Commands, device: str) -> Probe:
    """What is on the device, read from the device itself (blkid -p), not from caches."""
    r = cmd.run(["blkid", "-p", "-o", "export", device], mutating=False, action=f"probing {device}", ok=(0, 2))
    if r.rc == 2:
        return Probe(None, None, None)
    props = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    return Probe(props.get("TYPE"), props.get("UUID"), props.get("LABEL"), props.get("PTTYPE"))


def mkfs(cmd: Commands, device: str, fstype: str, *, force: bool, fs_uuid: str | None = None) -> None:
    """Create the filesystem, with the UUID isc chose when given (system/made_filesystems.py)."""
    argv = {"xfs": ["mkfs.xfs", "-q"] + (["-f"] if force else []),
            "ext4": ["mkfs.ext4", "-q", "-F"], "ext3": ["mkfs.ext3", "-q", "-F"], "ext2": ["mkfs.ext2", "-q", "-F"],
            "btrfs": ["mkfs.btrfs", "-q"] + (["-f"] if force else [])}[fstype]
    if fs_uuid:
        argv += ["-m", f"uuid={fs_uuid}"] if fstype == "xfs" else ["-U", fs_uuid]
    cmd.run([*argv, device], mutating=True, action=f"creating {fstype} on {device}")
    cmd.run(["udevadm", "settle", "--timeout=30"], mutating=True, action="waiting for udev", ok=(0, 1))


def mount(cmd: Commands, mountpoint: str) -> None:
    cmd.run(["mount", mountpoint], mutating=True, action=f"mounting {mountpoint}")


def umount(cmd: Commands, mountpoint: str) -> None:
    cmd.run(["umount", mountpoint], mutating=True, action=f"unmounting {mountpoint}")


def mounted_source(cmd: Commands, mountpoint: str) -> str | None:
    """What is mounted on the mount point (the top of a stack), from the kernel's mountinfo: what
    ``findmnt --mountpoint`` answers, without a process per question."""
    from iscsi_client.system.blockdev import MOUNTINFO, unescape_mount_field

    try:
        text = cmd.root(MOUNTINFO).read_bytes().decode(errors="replace")
    except OSError:
        return None
    source = None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10 or "-" not in fields[6:] or unescape_mount_field(fields[4]) != mountpoint:
            continue
        sep = fields.index("-", 6)
        source = unescape_mount_field(fields[sep + 2]) if len(fields) > sep + 2 else None
    return source


def verify_fstab(cmd: Commands, fstab_path: str) -> tuple[bool, str]:
    """findmnt --verify over the file: (ok, its report)."""
    r = cmd.run(["findmnt", "--verify", "--tab-file", fstab_path], mutating=False, action="verifying fstab",
                ok=range(256), live_only=False)
    return r.rc == 0, (r.stdout + r.stderr).strip()


def daemon_reload(cmd: Commands) -> None:
    cmd.run(["systemctl", "daemon-reload"], mutating=True, action="reloading systemd", ok=range(256))


def mountpoint_exists(root: Root, mountpoint: str) -> bool:
    return root(mountpoint).is_dir()


def make_mountpoint(root: Root, mountpoint: str) -> None:
    root(mountpoint).mkdir(parents=True, exist_ok=True)
