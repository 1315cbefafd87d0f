"""isc persist / unpersist: make a LUN's filesystem mount at every boot, the way an experienced admin does:
UUID (or the multipath map, never one path), _netdev,nofail, node.startup automatic on every portal, the
boot services enabled, mounted now and verified."""

from __future__ import annotations

import os

from iscsi_client import records
from iscsi_client.errors import InUseError, NotFoundError, UsageError
from iscsi_client.kernel_model import Lun, SessionView
from iscsi_client.model import Iqn
from iscsi_client.ops.startup import set_startup
from iscsi_client.parsers import fstab as fstab_text
from iscsi_client.records import record
from iscsi_client.startup_mode import Startup
from iscsi_client.system import blockdev, filesystems, made_filesystems, nodedb, services
from iscsi_client.system import fstab as fstab_file
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root


@record
class Chosen:
    target: Iqn
    lun: int
    device: str  # /dev/sdX or /dev/dm-N: what gets probed, formatted, mounted
    multipath_wwid: str | None
    paths: tuple[str, ...]


@record(frozen=False)
class PersistResult:
    target: str
    lun: int
    device: str
    spec: str
    mountpoint: str
    fstype: str
    options: str
    formatted: bool = False
    fstab_changed: bool = False
    fstab_backup: str | None = None
    startup_changed: list[str] = records.field(default_factory=list)
    services_enabled: list[str] = records.field(default_factory=list)
    mountpoint_created: bool = False
    mounted: bool = False
    verify_ok: bool | None = None
    verify_report: str = ""
    dry_run: bool = False


def choose_device(root: Root, what: str, views: list[SessionView], *, single_path: bool) -> Chosen:
    """DEVICE (/dev/sdX, a /dev/disk/by-* link, /dev/mapper/NAME, /dev/dm-N) or TARGET[/LUN]."""
    found: list[tuple[SessionView, Lun]] = []
    if what.startswith("/dev/"):
        real = root.realpath(what)
        for v in views:
            for lun in v.luns:
                devs = [d.devnode for d in (lun.disk, lun.map) if d is not None]
                if real in devs:
                    found = [(w, x) for w in views for x in w.luns if x.disk and lun.disk and
                             (x.disk.wwid == lun.disk.wwid) and (w.session.target == v.session.target)]
                    break
    else:
        name, _, lun_text = what.partition("/")
        target = Iqn.parse(name)
        if lun_text and not (lun_text.isascii() and lun_text.isdigit()):
            raise UsageError(f"{what!r}: the LUN after '/' must be a number")
        if lun_text:
            number = int(lun_text)
        else:  # the target's only LUN that holds data (tgt's LUN 0 is its controller)
            data = sorted({x.lun for v in views if v.session.target == target for x in v.luns if x.holds_data})
            if len(data) > 1:
                raise UsageError(f"{target} has LUNs {', '.join(map(str, data))}; name one",
                                 hint=f"{target}/{data[0]}, for example; 'isc status' shows them")
            number = data[0] if data else 0
        found = [(v, x) for v in views if v.session.target == target for x in v.luns if x.lun == number]
    if not found and what.startswith("/dev/"):
        for v in views:
            for lun in v.luns:
                if lun.disk and real in [p.devnode for p in lun.disk.partitions]:
                    raise UsageError(
                        f"{what} is a partition of {lun.disk.devnode} (LUN {lun.lun} of {v.session.target}); "
                        "isc persist takes whole LUNs",
                        hint=f"persist the whole LUN ({v.session.target}/{lun.lun}), or write the fstab line "
                             "yourself with UUID=... and _netdev,nofail and run 'isc startup TARGET automatic'; "
                             "'isc doctor' checks it")
    if not found:
        raise NotFoundError(f"{what} is not a LUN of a logged-in iSCSI session",
                            hint="log in first ('isc login TARGET'); 'isc status' shows the LUNs and devices")
    v0, lun0 = found[0]
    paths = tuple(x.disk.devnode for _, x in found if x.disk is not None)
    maps = [x.map for _, x in found if x.map is not None]
    if maps:
        m = maps[0]
        return Chosen(v0.session.target, lun0.lun, m.devnode, m.wwid, paths)
    if len(paths) > 1 and not single_path:
        raise InUseError(
            f"LUN {lun0.lun} of {v0.session.target} is reachable on {len(paths)} paths ({', '.join(paths)}) "
            "but is not under multipath; mounting one path would lose the others and risk corruption",
            hint="make it a multipath map first (multipath -a " + paths[0] + "; systemctl restart multipathd), "
                 "or log out of the extra portals, or pass --single-path if you mean it")
    if lun0.disk is None and not lun0.holds_data:
        raise UsageError(f"LUN {lun0.lun} of {v0.session.target} is a {lun0.kind} ({lun0.inquiry or 'no inquiry'}), "
                         "not a disk",
                         hint="tgt's LUN 0 is its controller and its disks start at LUN 1; 'isc status' lists them")
    if lun0.disk is None:
        raise NotFoundError(f"LUN {lun0.lun} of {v0.session.target} has no block device yet")
    return Chosen(v0.session.target, lun0.lun, lun0.disk.devnode, None, paths)


def persist(*, root: Root, adm: Iscsiadm, cmd: Commands, what: str, mountpoint: str, fstype: str | None,
            mkfs: bool, force: bool, options: str | None, single_path: bool = False) -> PersistResult:
    root.require_live("persist (it probes, formats and mounts the device and updates node records)")
    views = blockdev.session_views(root)
    chosen = choose_device(root, what, views, single_path=single_path)
    boot_portal = None
    portals = {n.portal.address for n in nodedb.read_nodes(root, target=chosen.target)}
    if chosen.multipath_wwid is None and len(portals) > 1:
        in_use = [v.session.portal for v in views if v.session.target == chosen.target
                  and any(lun.disk and lun.disk.devnode in chosen.paths for lun in v.luns)]
        if not single_path:
            raise InUseError(
                f"{chosen.target} has records on {len(portals)} portals ({', '.join(sorted(portals))}) but LUN "
                f"{chosen.lun} is not under multipath: at boot every portal logs in and the mount could land on "
                "any one path",
                hint="set up multipath for it first, or pass --single-path to log in at boot on "
                     f"{in_use[0].address if in_use else 'the portal in use'} only")
        boot_portal = in_use[0].without_tpgt() if in_use else None
    mp = os.path.normpath(mountpoint)
    # 1. what is on the device, from the device itself (the udev db under --root)
    found = filesystems.probe(cmd, chosen.device)
    have_type, have_uuid = found.fstype, found.uuid
    want_type = fstype or have_type or "xfs"
    formatted = False
    if have_type:
        if fstype and fstype != have_type:
            raise InUseError(f"{chosen.device} holds a {have_type} filesystem, not {fstype}; refusing to touch it",
                             hint=f"persist it as {have_type} (--fstype {have_type}), or reformat with "
                                  "--mkfs --force if its data is disposable")
        if mkfs and not force and made_filesystems.made_for(root, have_uuid, mp) is not None:
            mkfs = False  # isc made it for this mount point in a run that did not finish: carry on with it
        elif mkfs and not force:
            raise InUseError(f"{chosen.device} already holds a {have_type} filesystem (UUID {have_uuid}); "
                             "not formatting it", hint="drop --mkfs to persist it as it is, or add --force to erase it")
    elif not mkfs:
        raise UsageError(f"{chosen.device} has no filesystem",
                         hint=f"add --mkfs to create {want_type} on it (this LUN only)")
    options_text = ",".join(["_netdev", "nofail", *[o for o in (options or "").split(",") if o
                                                    and o not in ("_netdev", "nofail")]])
    # 2. the fstab line is validated before anything changes
    spec_preview = (f"/dev/disk/by-id/dm-uuid-mpath-{chosen.multipath_wwid}" if chosen.multipath_wwid
                    else f"UUID={have_uuid or 'NEW'}")
    fstab_text.validate(fstab_text.FstabEntry(spec_preview, mp, want_type, options_text))
    old = fstab_file.read_fstab(root)
    for e in fstab_text.entries(old):
        if e.mountpoint == mp and e.spec != spec_preview:
            raise InUseError(f"/etc/fstab already has an entry for {mp}: {e.render()}",
                             hint=f"remove it first (isc unpersist {mp}) or choose another mount point")
    if (have_type and mkfs and force) or not have_type:
        if not cmd.dry_run:
            fstab_file.check_writable(root, old)  # a full or read-only /etc is refused before mkfs, not after
        fs_uuid = made_filesystems.new_uuid()
        if not cmd.dry_run:
            made_filesystems.remember(root, made_filesystems.Made(fs_uuid, mp, want_type, chosen.device))
        filesystems.mkfs(cmd, chosen.device, want_type, force=force, fs_uuid=fs_uuid)
        formatted = True
        if not cmd.dry_run and not chosen.multipath_wwid:  # a map's line names the map, not the UUID
            have_uuid = filesystems.probe(cmd, chosen.device).uuid
    spec = (f"/dev/disk/by-id/dm-uuid-mpath-{chosen.multipath_wwid}" if chosen.multipath_wwid
            else f"UUID={have_uuid or '<new filesystem UUID>'}")
    entry = fstab_text.FstabEntry(spec, mp, want_type, options_text)
    result = PersistResult(str(chosen.target), chosen.lun, chosen.device, spec, mp, want_type, options_text,
                           formatted=formatted, dry_run=cmd.dry_run)
    comment = f"{chosen.target} lun {chosen.lun}"
    _, changed = fstab_text.add_entry(old, entry, comment=comment)
    result.fstab_changed = changed
    result.mountpoint_created = not filesystems.mountpoint_exists(root, mp)
    if result.mountpoint_created and not cmd.dry_run:
        filesystems.make_mountpoint(root, mp)
    if changed and not cmd.dry_run:
        result.fstab_backup = fstab_file.update_fstab(
            root, lambda now: fstab_text.add_entry(now, entry, comment=comment)[0])
    # 3. log in at boot on every portal (only the one in use with --single-path); the services that do it
    changed_nodes, _ = set_startup(root=root, adm=adm, target=chosen.target, portal=boot_portal,
                                   mode=Startup.AUTOMATIC)
    result.startup_changed = [n.portal.address for n in changed_nodes]
    result.services_enabled = services.enable(cmd, root, services.iscsi_units(root, multipath=bool(
        chosen.multipath_wwid)))
    # 4. mount now and verify (a dry run shows the commands: systemd learns of the new fstab line, then mount)
    if root.is_live:
        filesystems.daemon_reload(cmd)
        already = filesystems.mounted_source(cmd, mp) is not None
        if not already:
            filesystems.mount(cmd, mp)
        # a dry run: mounted means mounted already
        result.mounted = already if cmd.dry_run else filesystems.mounted_source(cmd, mp) is not None
    if not cmd.dry_run:
        result.verify_ok, result.verify_report = filesystems.verify_fstab(cmd, str(root(fstab_file.PATH)))
    return result


@record(frozen=False)
class UnpersistResult:
    mountpoint: str
    entry: str | None
    target: str | None
    unmounted: bool
    fstab_backup: str | None
    startup_manual: list[str]
    dry_run: bool

    @property
    def already(self) -> bool:
        """Nothing was there to undo (no fstab line): the state asked for already held."""
        return self.entry is None


def unpersist(*, root: Root, adm: Iscsiadm, cmd: Commands, mountpoint: str) -> UnpersistResult:
    mp = os.path.normpath(mountpoint)
    old = fstab_file.read_fstab(root)
    new, entry, comment = fstab_text.remove_entry(old, mp)
    if entry is None:  # idempotent, like logout with no session: already unpersisted (or never persisted)
        if root.is_live and filesystems.mounted_source(cmd, mp) is not None:
            raise NotFoundError(f"/etc/fstab has no entry for {mp}, but something is mounted there",
                                hint="isc unpersist undoes isc persist; unmount it yourself if it is not isc's")
        return UnpersistResult(mp, None, None, False, None, [], cmd.dry_run)
    unmounted = False
    if root.is_live and filesystems.mounted_source(cmd, mp) is not None:
        filesystems.umount(cmd, mp)
        unmounted = True
    # The records first, the fstab line last: a run killed in between leaves the line, and the same command
    # run again finds it and finishes (the other order would leave a target that logs in at boot for no mount,
    # with nothing left to say which).
    target = comment.split()[0] if comment else None
    manual: list[str] = []
    if target is not None:
        still_used = any(ln.startswith(fstab_text.MARKER + target + " ") for ln in new.splitlines())
        if not still_used:
            try:
                changed, _ = set_startup(root=root, adm=adm, target=Iqn.parse(target), portal=None,
                                         mode=Startup.MANUAL)
                manual = [n.portal.address for n in changed]
            except NotFoundError:
                pass
    backup = None if cmd.dry_run else fstab_file.update_fstab(root, lambda now: fstab_text.remove_entry(now, mp)[0])
    if root.is_live and not cmd.dry_run:
        filesystems.daemon_reload(cmd)
    return UnpersistResult(mp, entry.render(), target, unmounted, backup, manual, cmd.dry_run)
