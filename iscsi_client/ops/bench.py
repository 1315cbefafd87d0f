"""isc bench: fio with the guides' profiles against an iSCSI LUN, a block device or a mounted filesystem,
data safety first.

- A subject is a target (TARGET or TARGET/LUN: the LUN's map, or its disk when it has one path), a device
  (/dev/...), or a mount point (the write profiles then use a scratch file there, removed afterwards).
- Read profiles may always run (O_DIRECT reads change nothing). Write profiles on a raw device are refused
  while the device holds a filesystem, a partition table or another signature (blkid -p reads the device
  itself), is mounted, held (a map, LVM, a partition's holder) or open, unless ``destructive`` names the
  same device again. Refusals name what is on the device.
- Every figure comes from fio's JSON (parsers/fio.py); nothing is computed from another figure.

Nothing here prints; cli/bench.py shows the results and ops/bench_runs.py keeps them."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from iscsi_client.errors import InUseError, IscError, NotFoundError, UsageError
from iscsi_client.kernel_model import BlockDevice
from iscsi_client.model import Iqn
from iscsi_client.parsers.fio import FioJob, eta_fraction, parse_fio_json
from iscsi_client.records import record
from iscsi_client.system import blockdev, filesystems, fio
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.system.commands import Observer


@record
class FioProfile:
    name: str
    rw: str
    bs: str
    iodepth: int
    numjobs: int

    @property
    def writes(self) -> bool:
        return "write" in self.rw


PROFILES: dict[str, FioProfile] = {p.name: p for p in (
    FioProfile("seq-read", "read", "1M", 16, 1),
    FioProfile("seq-write", "write", "1M", 16, 1),
    FioProfile("rand-read", "randread", "4k", 32, 4),
    FioProfile("rand-write", "randwrite", "4k", 32, 4),
)}
SCRATCH_NAME = ".isc-bench.scratch"


@record
class Subject:
    kind: str  # device | filesystem
    name: str  # what the user named
    device: BlockDevice
    mountpoint: str | None = None
    target: Iqn | None = None
    lun: int | None = None

    @property
    def path(self) -> str:
        """The device as admins name it: /dev/mapper/NAME for a map, else /dev/sdX."""
        return f"/dev/mapper/{self.device.dm_name}" if self.device.dm_name else self.device.devnode

    @property
    def filename(self) -> str:
        """What fio opens: the device, or the scratch file under the mount point."""
        return f"{self.mountpoint.rstrip('/')}/{SCRATCH_NAME}" if self.mountpoint else self.path


@record
class ProfileResult:
    profile: str
    job: FioJob


def _device(root: Root, name: str) -> BlockDevice:
    dev = blockdev.block_device(root, name, blockdev.mounts_by_devno(root))
    if dev is None:
        raise NotFoundError(f"no block device {name}")
    return dev


def resolve(root: Root, text: str) -> Subject:
    """TARGET[/LUN], /dev/..., or a mount point."""
    if text.startswith("/dev/"):
        devno = blockdev.devno_of_node(root, text)
        name = blockdev.name_of_devno(root, devno) if devno else None
        if name is None:
            raise NotFoundError(f"{text} is not a block device")
        return Subject("device", text, _device(root, name))
    if text.startswith("/"):
        mp = os.path.normpath(text)
        for devno, points in blockdev.mounts_by_devno(root).items():
            if mp in points:
                name = blockdev.name_of_devno(root, devno)
                if name is not None:
                    return Subject("filesystem", mp, _device(root, name), mountpoint=mp)
        raise NotFoundError(f"nothing is mounted on {mp}", hint="give a mount point, a /dev/ device or a target")
    return _target_subject(root, text)


def _target_subject(root: Root, text: str) -> Subject:
    from iscsi_client.ops.tune import target_views

    name, _, lun_text = text.partition("/")
    target = Iqn.parse(name)
    if lun_text and not lun_text.isdigit():
        raise UsageError(f"{lun_text!r} is not a LUN number", hint=f"e.g. isc bench {target}/0")
    luns = [lun for v in target_views(root, target) for lun in v.luns if lun.holds_data and lun.disk is not None]
    if lun_text:
        luns = [lun for lun in luns if lun.lun == int(lun_text)]
    if not luns:
        raise NotFoundError(f"{text} has no LUN with a block device here", hint=f"isc login {target}; isc status")
    numbers = sorted({lun.lun for lun in luns})
    if len(numbers) > 1:
        raise UsageError(f"{target} has LUNs {', '.join(map(str, numbers))}: name one",
                         hint=f"isc bench {target}/{numbers[0]}")
    lun = luns[0]
    dev = lun.map or lun.disk
    assert dev is not None
    return Subject("device", text, dev, target=target, lun=lun.lun)


def refusal(root: Root, cmd: Commands, s: Subject, destructive: str | None) -> str | None:
    """Why the write profiles may not run on this subject (None: they may)."""
    if s.mountpoint is not None:
        return None  # a scratch file of isc's own under the mount point
    found: list[str] = []
    probe = filesystems.probe(cmd, s.path)
    if probe.fstype:
        found.append(f"signature {probe.fstype}" + (f" (UUID {probe.uuid})" if probe.uuid else ""))
    if probe.pttype:
        found.append(f"partition table {probe.pttype}")
    for dev in s.device.with_partitions():
        found += [f"{dev.devnode} mounted on {mp}" for mp in dev.mountpoints]
        found += [f"{dev.devnode} held by {blockdev.describe_holder(root, h)}" for h in dev.holders]
    users = blockdev.open_by(root, {d.devnode for d in s.device.with_partitions()})
    found += [f"{node} open by {', '.join(who)}" for node, who in users.items()]
    if not found:
        return None
    if destructive is not None:
        if blockdev.devno_of_node(root, destructive) != s.device.major_minor:
            raise UsageError(f"--destructive names {destructive}, not the device benchmarked ({s.path})",
                             hint="name the same device again to confirm")
        if not any(" mounted on " in f or " open by " in f or " held by " in f for f in found):
            return None  # only signatures: the user named the device again, its data goes
        raise InUseError(f"{s.path} is in use ({'; '.join(found)}): even --destructive does not write "
                         "to it", hint="unmount it and stop what uses it first")
    return f"{s.path} holds {'; '.join(found)}"


def fio_args(p: FioProfile, s: Subject, *, size: int, runtime: int) -> list[str]:
    return [f"--name={p.name}", f"--filename={s.filename}", f"--rw={p.rw}", f"--bs={p.bs}",
            f"--iodepth={p.iodepth}", f"--numjobs={p.numjobs}", "--ioengine=libaio", "--direct=1", "--time_based",
            f"--runtime={runtime}", f"--size={size}", "--group_reporting"]


def bench_size(root: Root, s: Subject, wanted: int) -> int:
    """The bytes each job covers: ``wanted``, at most the device, and at most half the free space of a
    mounted filesystem (the scratch file must fit beside what is there)."""
    size = min(wanted, s.device.size_bytes) if s.device.size_bytes else wanted
    if s.mountpoint is not None:
        size = min(size, fio.free_bytes(root, s.mountpoint) // 2)
    size -= size % (1024 * 1024)
    if size < 1024 * 1024:
        raise IscError(f"{s.mountpoint or s.path} has less than 2 MiB to benchmark in")
    return size


def run_profiles(root: Root, s: Subject, profiles: Sequence[FioProfile], *, size: int, runtime: int,
                 observer: Observer | None, progress: Callable[[str, float], None] | None) -> list[ProfileResult]:
    """Each profile in turn; the scratch file (of a mount point) is removed at the end, also on Ctrl-C."""
    out: list[ProfileResult] = []
    try:
        for p in profiles:
            def line(text: str, name: str = p.name) -> None:
                frac = eta_fraction(text)
                if progress is not None and frac is not None:
                    progress(name, frac)

            rc, text = fio.run_fio(root, fio_args(p, s, size=size, runtime=runtime), on_line=line,
                                   observer=observer, limit=runtime * 4 + 120)
            if not text:
                raise IscError(f"fio wrote no results for {p.name} (exit {rc})", hint="isc -v shows the fio command")
            jobs = parse_fio_json(text)
            if rc != 0 or not jobs or jobs[0].error:
                err = jobs[0].error if jobs else rc
                raise IscError(f"fio's {p.name} failed on {s.filename}: {os.strerror(err) if err else f'exit {rc}'}",
                               hint="isc -v shows the fio command; 'isc doctor' checks the paths")
            out.append(ProfileResult(p.name, jobs[0]))
    finally:
        if s.mountpoint is not None:
            fio.remove_scratch(root, s.filename)
    return out


def choose_profiles(names: Sequence[str], writes_refused: str | None) -> tuple[list[FioProfile], list[str]]:
    """The profiles to run and the ones left out (with why). Named write profiles that are refused are an
    error; without names, the read ones run and the write ones are left out with the reason."""
    for n in names:
        if n not in PROFILES:
            raise UsageError(f"no fio profile {n!r}; profiles: {', '.join(PROFILES)}")
    chosen = [PROFILES[n] for n in dict.fromkeys(names)] or list(PROFILES.values())
    if writes_refused is None:
        return chosen, []
    named_writes = [p.name for p in chosen if p.writes and names]
    if named_writes:
        raise InUseError(f"refusing to write to the device ({', '.join(named_writes)}): {writes_refused}",
                         hint="read profiles are always allowed; to benchmark through the filesystem give its mount "
                              "point; to overwrite the device name it again: --destructive DEVICE")
    return [p for p in chosen if not p.writes], [f"{p.name}: {writes_refused}" for p in chosen if p.writes]
