"""One walk from iSCSI sessions down to mounts, reading sysfs, the udev database and mountinfo under the
root: session -> SCSI host -> target -> LUN -> sdX -> dm holder (multipath map) -> filesystem -> mount.

No iscsiadm call per session, no parsing of ``-P 3``, no trust in by-path links (they can be stale):
the kernel's own tree is the source. The udev database (/run/udev/data/b<maj>:<min>) is read directly,
the same files libudev reads, so snapshots of /sys and /run work under --root.
"""

from __future__ import annotations

import os

from iscsi_client.kernel_model import SCSI_TYPES, BlockDevice, Lun, Session, SessionView
from iscsi_client.system.root import Root
from iscsi_client.system.sysfs import SESSION_CLASS, device_path, read_file, read_sessions
from iscsi_client.system.sysfs import read_attr as sysfs_read_attr

UDEV_DATA = "/run/udev/data"
MOUNTINFO = "/proc/self/mountinfo"


TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

read_attr = sysfs_read_attr  # a sysfs attribute or udev record, whole (one read)


def udev_properties(root: Root, major_minor: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """(E: properties, S: links as /dev paths) from the udev database; empty when udev has not seen it."""
    text = read_attr(root.str(f"{UDEV_DATA}/b{major_minor}"))
    props: dict[str, str] = {}
    links: list[str] = []
    for line in (text or "").splitlines():
        if line.startswith("E:"):
            k, _, v = line[2:].partition("=")
            props[k] = v
        elif line.startswith("S:"):
            links.append("/dev/" + line[2:])
    return props, tuple(sorted(links))


def udev_initialized(root: Root, major_minor: str) -> bool:
    return os.path.exists(root.str(f"{UDEV_DATA}/b{major_minor}"))


def mounts_by_devno(root: Root) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    text = read_file(root.str(MOUNTINFO)) or ""  # a seq_file: a page per read, read to its end
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        out.setdefault(fields[2], []).append(unescape_mount_field(fields[4]))
    return {k: tuple(v) for k, v in out.items()}


def unescape_mount_field(field: str) -> str:
    """A mountinfo field as the path it names: the kernel writes space, tab, newline and backslash as \\ooo."""
    if "\\" not in field:  # nearly every path: re (with enum, 65 ms of a TCG start) loads only for the rest
        return field
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def block_device(root: Root, name: str, mounts: dict[str, tuple[str, ...]],
                 cache: dict[str, BlockDevice | None] | None = None, *, brief: bool = False) -> BlockDevice | None:
    """A disk, partition or dm device from sysfs and the udev database. ``brief``: what a logout checks (its
    node, holders, mounts, partitions and dm name and uuid), without the udev record (its links, filesystem,
    INQUIRY strings: a disk's partitions are then looked for in sysfs) nor size and read-only; with 64
    sessions some 300 reads less before a teardown's first exec."""
    if cache is not None and name in cache:
        return cache[name]
    base = root.str(f"/sys/class/block/{name}")
    devno = read_attr(f"{base}/dev")
    if devno is None:
        return None
    props, links = ({}, ()) if brief else udev_properties(root, devno)
    sectors = None if brief else read_attr(f"{base}/size")
    try:
        holders = tuple(sorted(os.listdir(f"{base}/holders")))
    except OSError:
        holders = ()
    is_dm = name.startswith("dm-")
    dm_name = read_attr(f"{base}/dm/name") if is_dm else None
    dm_uuid = read_attr(f"{base}/dm/uuid") if is_dm else None
    wwid = props.get("ID_SERIAL") or (None if is_dm or brief else read_attr(f"{base}/device/wwid"))
    if dm_uuid and dm_uuid.startswith("mpath-"):
        wwid = dm_uuid.removeprefix("mpath-")
    partitions: tuple[BlockDevice, ...] = ()
    # udev's blkid marks a disk that carries a partition table; without udev data, look anyway
    if not is_dm and (not props or "ID_PART_TABLE_TYPE" in props) and not os.path.exists(f"{base}/partition"):
        partitions = _partitions(root, name, base, mounts, cache, brief)
    sysfs_only = not is_dm and not brief  # INQUIRY strings from sysfs when udev has no record of the disk
    dev = BlockDevice(
        name=name,
        major_minor=devno,
        size_bytes=int(sectors) * 512 if sectors and sectors.isascii() and sectors.isdigit() else 0,
        read_only=not brief and read_attr(f"{base}/ro") == "1",
        vendor=props.get("ID_VENDOR") or (read_attr(f"{base}/device/vendor") if sysfs_only else None),
        model=props.get("ID_MODEL") or (read_attr(f"{base}/device/model") if sysfs_only else None),
        wwid=wwid,
        fstype=props.get("ID_FS_TYPE") or None,
        fs_uuid=props.get("ID_FS_UUID") or None,
        fs_label=props.get("ID_FS_LABEL") or None,
        links=links,
        holders=holders,
        mountpoints=mounts.get(devno, ()),
        dm_name=dm_name,
        dm_uuid=dm_uuid,
        partitions=partitions,
    )
    if cache is not None:
        cache[name] = dev
    return dev


def _partitions(root: Root, name: str, base: str, mounts: dict[str, tuple[str, ...]],
                cache: dict[str, BlockDevice | None] | None, brief: bool = False) -> tuple[BlockDevice, ...]:
    """sdX's partitions: the subdirectories of its sysfs node that have a 'partition' attribute."""
    try:
        entries = [e.name for e in os.scandir(base) if e.name.startswith(name) and e.is_dir()]
    except OSError:
        return ()
    found = []
    for part in sorted(entries, key=lambda n: (len(n), n)):
        if os.path.exists(f"{base}/{part}/partition"):
            dev = block_device(root, part, mounts, cache, brief=brief)
            if dev is not None:
                found.append(dev)
    return tuple(found)


_DM_KINDS = {"LVM": "LVM volume", "CRYPT": "dm-crypt volume", "mpath": "multipath map", "part": "partition map"}


def describe_holder(root: Root, name: str) -> str:
    """What a holder under /sys/class/block/X/holders is, in words: 'LVM volume vg0-data (dm-1)'.
    Device-mapper targets say who made them by the prefix of dm/uuid (LVM-, CRYPT-, mpath-, part1-)."""
    base = root.str(f"/sys/class/block/{name}")
    if name.startswith("md"):
        return f"md RAID {name}"
    uuid = read_attr(f"{base}/dm/uuid")
    if uuid is None:
        return name
    prefix = uuid.split("-", 1)[0]
    kind = _DM_KINDS.get(prefix.rstrip("0123456789") if prefix.startswith("part") else prefix, "device-mapper device")
    return f"{kind} {read_attr(f'{base}/dm/name') or '?'} ({name})"


def session_luns(root: Root, session: Session, mounts: dict[str, tuple[str, ...]] | None = None,
                 cache: dict[str, BlockDevice | None] | None = None, *, brief: bool = False) -> tuple[Lun, ...]:
    """The session's LUNs with their disks and maps. ``brief``: the LUNs' SCSI state, type and INQUIRY
    strings stay None (see session_views)."""
    if mounts is None:
        mounts = mounts_by_devno(root)
    real = device_path(root, f"{SESSION_CLASS}/session{session.sid}")
    # .../hostH/sessionN/iscsi_session/sessionN -> .../hostH/sessionN
    session_dir = root.str(os.path.dirname(os.path.dirname(real)))
    try:
        entries = sorted(os.listdir(session_dir))
    except OSError:
        return ()
    luns: list[Lun] = []
    for target in entries:
        if not target.startswith("target"):
            continue
        target_dir = f"{session_dir}/{target}"
        for lun_name in sorted(os.listdir(target_dir)):
            lun = hctl_lun(lun_name)
            if lun is None:
                continue
            lun_dir = f"{target_dir}/{lun_name}"
            disk = None
            try:
                names = sorted(os.listdir(f"{lun_dir}/block"))
            except OSError:
                names = []
            if names:
                disk = block_device(root, names[0], mounts, cache, brief=brief)
            mapped = None
            if disk is not None:
                for holder in disk.holders:
                    dev = block_device(root, holder, mounts, cache, brief=brief)
                    if dev is not None and dev.is_multipath:
                        mapped = dev
                        break
            if brief:
                luns.append(Lun(hctl=lun_name, lun=lun, state=None, disk=disk, map=mapped))
                continue
            kind = read_attr(f"{lun_dir}/type")
            inquiry = " ".join(x for x in (read_attr(f"{lun_dir}/vendor"), read_attr(f"{lun_dir}/model")) if x)
            luns.append(Lun(hctl=lun_name, lun=lun, state=read_attr(f"{lun_dir}/state"),
                            disk=disk, map=mapped,
                            kind=SCSI_TYPES.get(int(kind), f"type {kind}") if kind and kind.isdigit() else None,
                            inquiry=inquiry or None))
    return tuple(sorted(luns, key=lambda x: x.lun))


def hctl_lun(name: str) -> int | None:
    """The LUN of a SCSI device's name, H:C:T:L in decimal digits (1:0:0:3 -> 3); None for any other name."""
    parts = name.split(":")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return int(parts[3])


def session_views(root: Root, sessions: Iterable[Session] | None = None, *,
                  brief: bool = False) -> list[SessionView]:
    """The sessions (all of them when None) with their LUNs: mountinfo read once, and a map shared by
    several paths read once. ``brief``: what a logout checks (disks, partitions, maps, their holders and
    mounts), without the LUNs' SCSI state, type and INQUIRY strings, the devices' udev records, sizes and
    read-only flags, nor (for sessions read here) the sessions' state: with 64 sessions, some 800 of 1,300
    reads before a teardown's first exec in the TCG lab guest."""
    mounts = mounts_by_devno(root)
    cache: dict[str, BlockDevice | None] = {}
    return [SessionView(s, session_luns(root, s, mounts, cache, brief=brief))
            for s in (read_sessions(root, brief=brief) if sessions is None else sessions)]


def open_by(root: Root, devnodes: set[str]) -> dict[str, list[str]]:
    """Processes holding the devices open: {devnode: ["name[pid]", ...]} from /proc/*/fd."""
    found: dict[str, list[str]] = {}
    proc = root.str("/proc")
    if not devnodes:
        return found
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        who = None  # "name[pid]", read once per process: multipathd has every path open
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target in devnodes:
                who = who or f"{read_attr(f'{proc}/{pid}/comm') or '?'}[{pid}]"
                users = found.setdefault(target, [])
                if who not in users:  # once, however many descriptors it has on the device
                    users.append(who)
    return found


def local_disks(root: Root, iscsi: set[str]) -> list[BlockDevice]:
    """Whole disks that are not iSCSI LUNs (nor dm, loop, ram, optical, md)."""
    out: list[BlockDevice] = []
    base = root.str("/sys/class/block")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return out
    mounts = mounts_by_devno(root)
    for name in names:
        if name in iscsi or name.startswith(("dm-", "loop", "ram", "sr", "zram", "md")):
            continue
        if os.path.exists(f"{base}/{name}/partition"):
            continue
        dev = block_device(root, name, mounts)
        if dev is not None:
            out.append(dev)
    return out


def name_of_devno(root: Root, devno: str) -> str | None:
    """sda or dm-3 for a major:minor, from /sys/dev/block."""
    try:
        return os.path.basename(os.path.realpath(root.str(f"/sys/dev/block/{devno}")))
    except OSError:
        return None


def devno_of_node(root: Root, path: str) -> str | None:
    """major:minor of a block device node (/dev/sdb, /dev/mapper/NAME, a /dev/disk/by-* link)."""
    import stat

    try:
        st = os.stat(root.str(path))
    except OSError:
        return None
    if not stat.S_ISBLK(st.st_mode):
        return None
    return f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
