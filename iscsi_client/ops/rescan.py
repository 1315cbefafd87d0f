"""Rescan sessions for LUNs: after a LUN was added or grown on the target, or for records with
node.session.scan = manual. One `iscsiadm -m session -r SID --rescan` per session (it also re-reads the
capacity of every disk the session has), then the same event-driven wait as login, until every LUN the
kernel found has its block device and udev links. A grown LUN under multipath gets its map resized
(`multipathd resize map`) once all its paths were rescanned; the filesystem on it is left to the admin,
with the command that grows it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from iscsi_client.errors import IscError, IscsiadmError, NotFoundError
from iscsi_client.kernel_model import Lun, human_size
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops.login import devices_ready
from iscsi_client.ops.outcome import Outcome
from iscsi_client.ops.status import select_sessions
from iscsi_client.system import blockdev, multipath, sysfs
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root
from iscsi_client.system.udev_wait import DeviceWaiter


def rescan(*, root: Root, adm: Iscsiadm, target: Iqn | None = None, portal: Portal | None = None,
           sids: Sequence[int] = (), wait: bool = True, wait_timeout: float = 30.0,
           progress: Callable[[str], None] | None = None, cmd: Commands | None = None) -> list[Outcome]:
    """Rescan the selected sessions (all of them when nothing is named). ``cmd`` runs multipathd for
    grown maps (none is resized without it)."""
    sessions = select_sessions(sysfs.read_sessions(root), sids=sids, target=target, portal=portal)
    if not sessions:
        raise NotFoundError("no matching session to rescan",
                            hint="'isc sessions' lists the active sessions; log in first with 'isc login'")
    before = {s.sid: {lun.hctl: lun.disk.size_bytes if lun.disk else None for lun in blockdev.session_luns(root, s)}
              for s in sessions}
    waiter = DeviceWaiter(root) if wait and not adm.dry_run and root.is_live else None
    outcomes: list[Outcome] = []
    scanned = []
    try:
        for s in sessions:
            try:
                done = adm.run(["-m", "session", "-r", str(s.sid), "--rescan"], mutating=True,
                               action=f"rescan of session {s.sid} ({s.target} on {s.portal.address})")
            except IscsiadmError as e:
                outcomes.append(Outcome(str(s.target), s.portal.address, "failed", e.message, e, sid=s.sid))
                continue
            if done.dry_run:
                outcomes.append(Outcome(str(s.target), s.portal.address, "would", "would rescan", sid=s.sid))
            else:
                scanned.append(s)
        if waiter is not None and scanned:
            if progress:
                progress(f"waiting for the block devices of {len(scanned)} session(s)")
            waiter.wait(lambda: devices_ready(root, scanned, need_lun=False), wait_timeout)
    finally:
        if waiter is not None:
            waiter.close()
    views = {s.sid: blockdev.session_luns(root, s) for s in scanned}
    grown = [lun for sid, luns in views.items() for lun in luns
             if lun.disk and before[sid].get(lun.hctl) not in (None, lun.disk.size_bytes)]
    every_path = [lun for s in sysfs.read_sessions(root) for lun in blockdev.session_luns(root, s)] if grown else []
    resized = _resize_maps(cmd, grown, every_path)
    for s in scanned:
        luns = views[s.sid]
        devices = tuple(lun.disk.devnode for lun in luns if lun.disk is not None)
        added = [lun for lun in luns if lun.hctl not in before[s.sid]]
        missing = [lun for lun in luns if lun.disk is None and lun.holds_data]  # tgt's LUN 0 has no disk
        if missing and waiter is not None:  # with --no-wait a device still on its way is no error
            err = NotFoundError(f"session {s.sid}: LUN {', '.join(str(x.lun) for x in missing)} has no block "
                                f"device within {wait_timeout:.0f} s",
                                hint="'isc status' shows what the kernel sees; 'dmesg' says why a disk was not "
                                     "attached")
            outcomes.append(Outcome(str(s.target), s.portal.address, "failed", err.message, err, devices, s.sid))
            continue
        parts = [f"{len(added)} new LUN(s): {', '.join(str(x.lun) for x in added)}" if added else
                 f"no new LUN ({len(luns)} present)"]
        steps: list[str] = []
        failure: IscError | None = None
        for lun in luns:
            old = before[s.sid].get(lun.hctl)
            if lun.disk is None or old is None or old == lun.disk.size_bytes:
                continue
            if lun.gone:
                parts.append(f"LUN {lun.lun} is gone ({lun.gone})")
                steps.append(f"{lun.disk.devnode} is left over from LUN {lun.lun}: 'isc logout {s.target} --teardown', "
                             f"or delete just it: echo 1 > /sys/block/{lun.disk.name}/device/delete")
                continue
            parts.append(f"LUN {lun.lun} {human_size(old)} -> {human_size(lun.disk.size_bytes)}")
            did = resized.get(lun.map.name) if lun.map else None
            if isinstance(did, IscError):
                failure = did
            elif did:
                steps.append(did)
            steps.extend(_grow_hint(lun))
        status, detail = ("failed", failure.message) if failure else ("done", "; ".join(parts))
        outcomes.append(Outcome(str(s.target), s.portal.address, status, detail, failure, devices, s.sid,
                                tuple(dict.fromkeys(steps))))
    return outcomes


def _resize_maps(cmd: Commands | None, grown: list[Lun], every_path: list[Lun]) -> dict[str, str | IscError]:
    """``multipathd resize map`` for each map whose paths grew, once every path of it (in any session) has
    the new size; map name -> what was done or why not, or the error."""
    done: dict[str, str | IscError] = {}
    for lun in grown:
        m = lun.map
        if cmd is None or m is None or lun.disk is None or m.name in done or m.size_bytes >= lun.disk.size_bytes:
            continue
        name = m.dm_name or m.name
        behind = sorted({p.disk.devnode for p in every_path if p.map and p.map.name == m.name and p.disk
                         and p.disk.size_bytes != lun.disk.size_bytes})
        if behind:
            done[m.name] = (f"multipath map {name} not resized: {', '.join(behind)} still has the old size; "
                            "rescan every session of the target (isc rescan TARGET)")
            continue
        try:
            multipath.resize_map(cmd, name)
        except IscError as e:
            done[m.name] = e
            continue
        done[m.name] = f"{'would resize' if cmd.dry_run else 'resized'} multipath map {name}"
    return done


def _grow_hint(lun: Lun) -> list[str]:
    """The command that grows the filesystem on a grown LUN (isc does not resize filesystems)."""
    dev = lun.map or lun.disk
    if dev is None or not dev.fstype:
        return []
    if dev.fstype == "xfs":
        where = dev.mountpoints[0] if dev.mountpoints else None
        return [f"grow the filesystem: xfs_growfs {where}" if where else
                f"grow the filesystem: mount {dev.devnode}, then xfs_growfs MOUNTPOINT"]
    if dev.fstype.startswith("ext"):
        return [f"grow the filesystem: resize2fs {dev.devnode}"]
    return [f"grow the {dev.fstype} filesystem on {dev.devnode} with its own tool"]
