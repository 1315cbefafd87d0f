"""The kernel's side of iSCSI as isc reads it: sessions, what their logins negotiated, LUNs, block devices and
multipath maps (sysfs, the udev database, multipathd). Frozen records, pure: no I/O here; the names and
addresses they hold are iscsi_client.model's.
"""

from __future__ import annotations

from iscsi_client.model import Iqn, Portal
from iscsi_client.records import record


@record
class Session:
    """An active session as the kernel (or iscsiadm -m session) reports it."""

    sid: int
    target: Iqn
    portal: Portal
    transport: str = "tcp"
    iface: str = "default"
    state: str | None = None
    connection_state: str | None = None
    initiator: str | None = None
    recovery_tmo: int | None = None
    host: int | None = None
    devices: tuple[str, ...] = ()


@record
class Negotiated:
    """Where a session runs from and what its login negotiated (iscsiadm -m session -P 2), from sysfs."""

    local_address: str | None = None
    local_port: int | None = None
    chap_user: str | None = None  # the user name the session logged in with (never a secret)
    header_digest: str | None = None  # "None" or "CRC32C"
    data_digest: str | None = None
    max_recv_data_segment_length: int | None = None
    max_xmit_data_segment_length: int | None = None
    first_burst_length: int | None = None
    max_burst_length: int | None = None
    immediate_data: bool | None = None
    initial_r2t: bool | None = None
    max_outstanding_r2t: int | None = None


def human_size(n: int) -> str:
    """Bytes as lsblk shows them: 768M, 1.5G (binary units)."""
    size = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{size:.0f}{unit}" if unit == "B" or size >= 10 else f"{size:.1f}{unit}"
        size /= 1024
    return f"{n}B"


@record
class BlockDevice:
    """A block device as sysfs and the udev database describe it (sdX or a dm-N multipath map)."""

    name: str  # kernel name: sda, dm-0
    major_minor: str
    size_bytes: int
    vendor: str | None = None
    model: str | None = None
    wwid: str | None = None  # multipath's WWID (udev ID_SERIAL, e.g. 36001405...)
    fstype: str | None = None
    fs_uuid: str | None = None
    fs_label: str | None = None
    links: tuple[str, ...] = ()  # /dev/disk/by-* links from the udev database
    holders: tuple[str, ...] = ()  # dm-N that use this device
    mountpoints: tuple[str, ...] = ()
    dm_name: str | None = None  # for maps: /dev/mapper/<dm_name>
    dm_uuid: str | None = None  # for maps: mpath-<wwid>
    partitions: tuple[BlockDevice, ...] = ()  # sda1, sda2... of a disk (a map's partitions are dm holders)
    read_only: bool = False

    @property
    def devnode(self) -> str:
        return f"/dev/{self.name}"

    @property
    def is_multipath(self) -> bool:
        return bool(self.dm_uuid and self.dm_uuid.startswith("mpath-"))

    def with_partitions(self) -> tuple[BlockDevice, ...]:
        """The device itself, then its partitions: everything that can be mounted, held or open."""
        return (self, *self.partitions)


@record
class Lun:
    """A SCSI logical unit reached through one session, with its disk and the map that holds it."""

    hctl: str  # host:channel:target:lun
    lun: int
    state: str | None
    disk: BlockDevice | None
    map: BlockDevice | None = None
    kind: str | None = None  # the SCSI device type ("disk", "controller", "cd/dvd", ...), from sysfs
    inquiry: str | None = None  # vendor and model, as the LUN answers INQUIRY (a LUN without a disk has them too)

    @property
    def gone(self) -> str | None:
        """Why this LUN's disk looks removed on the target, once the kernel has asked again (I/O or a rescan):
        tgt then reports no capacity at all, LIO a 32 KiB read-only placeholder (the LUN 0 it shows an ACL
        without LUNs)."""
        d = self.disk
        if d is None or d.is_multipath:
            return None
        if d.size_bytes == 0:
            return "no capacity: removed on the target"
        if d.read_only and d.size_bytes == 32768 and (d.vendor or "").startswith("LIO"):
            return "LIO's 32 KiB read-only placeholder: removed on the target"
        return None

    @property
    def holds_data(self) -> bool:
        """False for a LUN that only stands for the target (tgt's LUN 0 is a controller, type 12)."""
        return self.kind not in ("controller", "enclosure", "processor")


#: SCSI peripheral device types (SPC-4, table 49), as the kernel's sysfs ``type`` attribute gives them
SCSI_TYPES: dict[int, str] = {0: "disk", 1: "tape", 2: "printer", 3: "processor", 4: "worm", 5: "cd/dvd",
                              7: "optical", 8: "changer", 12: "controller", 13: "enclosure", 14: "rbc",
                              17: "osd", 20: "zbc"}


@record
class SessionView:
    """A session with everything below it: LUNs, disks, maps, mounts."""

    session: Session
    luns: tuple[Lun, ...] = ()


@record
class MpPath:
    dev: str
    dev_t: str
    dm_state: str  # active | failed
    checker_state: str  # ready | faulty | ghost | ...
    dev_state: str  # running | offline | ...
    target: str | None = None
    portal_host: str | None = None

    @property
    def healthy(self) -> bool:
        return self.dm_state == "active" and self.checker_state in ("ready", "ghost")


@record
class PathGroup:
    number: int
    selector: str
    priority: int
    state: str  # active | enabled | disabled
    paths: tuple[MpPath, ...]


@record
class MultipathMap:
    name: str
    wwid: str
    dm: str  # dm-N
    vendor: str
    product: str
    features: str
    hwhandler: str
    queueing: str  # multipathd's summary: "12 chk", "on", "off", "-"
    path_groups: tuple[PathGroup, ...]

    @property
    def paths(self) -> tuple[MpPath, ...]:
        return tuple(p for g in self.path_groups for p in g.paths)

    @property
    def queue_if_no_path(self) -> bool:
        return "queue_if_no_path" in self.features
