"""Rescan sessions for LUNs: after a LUN was added on the target, or for records with
node.session.scan = manual. One `iscsiadm -m session -r SID --rescan` per session, then the same
event-driven wait as login, until every LUN the kernel found has its block device and udev links."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from iscsi_client.errors import IscsiadmError, NotFoundError
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops.login import devices_ready
from iscsi_client.ops.outcome import Outcome
from iscsi_client.ops.status import select_sessions
from iscsi_client.system import blockdev, sysfs
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root
from iscsi_client.system.udev_wait import DeviceWaiter


def rescan(*, root: Root, adm: Iscsiadm, target: Iqn | None = None, portal: Portal | None = None,
           sids: Sequence[int] = (), wait: bool = True, wait_timeout: float = 30.0,
           progress: Callable[[str], None] | None = None) -> list[Outcome]:
    """Rescan the selected sessions (all of them when nothing is named)."""
    sessions = select_sessions(sysfs.read_sessions(root), sids=sids, target=target, portal=portal)
    if not sessions:
        raise NotFoundError("no matching session to rescan",
                            hint="'isc sessions' lists the active sessions; log in first with 'isc login'")
    before = {s.sid: {lun.hctl for lun in blockdev.session_luns(root, s)} for s in sessions}
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
    for s in scanned:
        luns = blockdev.session_luns(root, s)
        devices = tuple(lun.disk.devnode for lun in luns if lun.disk is not None)
        added = [lun for lun in luns if lun.hctl not in before[s.sid]]
        missing = [lun for lun in luns if lun.disk is None]
        if missing and waiter is not None:  # with --no-wait a device still on its way is no error
            err = NotFoundError(f"session {s.sid}: LUN {', '.join(str(x.lun) for x in missing)} has no block "
                                f"device within {wait_timeout:.0f} s",
                                hint="'isc status' shows what the kernel sees; 'dmesg' says why a disk was not "
                                     "attached")
            outcomes.append(Outcome(str(s.target), s.portal.address, "failed", err.message, err, devices, s.sid))
            continue
        detail = (f"{len(added)} new LUN(s): {', '.join(str(x.lun) for x in added)}" if added else
                  f"no new LUN ({len(luns)} present)")
        outcomes.append(Outcome(str(s.target), s.portal.address, "done", detail, devices=devices, sid=s.sid))
    return outcomes
