"""Safe logout: what holds a session's disks, and tearing it down in the right order.

Order: unmount (when asked) -> flush the multipath map (or drop this path from it), the disks' buffers and the
caller's reads beside it -> log out, node.startup manual beside it where a record is not (ops/logout.py).

The SCSI devices go with the logout: for a logged-in session iscsid first unbinds it (the kernel removes the
session's SCSI target, each disk syncing its cache while the connection is still up) and only then sends the
Logout (open-iscsi's session_logout_task). Deleting each disk before the logout did the same work once more,
one device at a time, and left a session without its disks when the logout then failed.
"""

from __future__ import annotations

import time

from iscsi_client import fanout
from iscsi_client.errors import InUseError
from iscsi_client.kernel_model import Lun, Session, SessionView
from iscsi_client.records import record
from iscsi_client.system import blockdev, multipath
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable

MULTIPATHD = "multipathd"
# udev's workers open a disk while they probe it: after a writer closes it (the rules' inotify watch), when a
# path joins or leaves a map. Seen in the lab right after wipefs: a logout refused for "(udev-worker)[1071]".
# The multipath binary (not multipathd) is one of them: udev's multipath rules run it on a path as it changes
# (seen in the lab: a logout refused for "(udev-worker)[655], multipath[771]" on a path just logged in).
UDEV_WORKERS = ("(udev-worker)[", "systemd-udevd[", "multipath[")
UDEV_WAIT = 10.0  # seconds a disk open only by udev's workers is given to be let go


@record
class Hold:
    device: str
    what: str  # "mounted on /srv/x", "path of multipath map 3600...", "held by LVM volume vg-lv (dm-3)", ...
    kind: str  # mount | map | dm | open
    users: tuple[str, ...] = ()  # kind "open": the processes, as "name[pid]"


def holds(root: Root, views: list[SessionView], kept: frozenset[str] = frozenset(),
          udev_wait: float | None = None) -> list[Hold]:
    """What uses the sessions' disks and maps. A map in ``kept`` (by WWID) keeps working through paths
    of other sessions: its mounts, holders and users stay with it and hold none of these paths. udev's
    workers are waited for ``udev_wait`` seconds: UDEV_WAIT on the live host, none in a tree under --root
    (nothing there lets go)."""
    if udev_wait is None:
        udev_wait = UDEV_WAIT if root.is_live else 0.0
    out: list[Hold] = []
    nodes: set[str] = set()
    for v in views:
        for lun in v.luns:
            mapped = lun.map if lun.map is not None and lun.map.wwid not in kept else None
            for dev in (*(lun.disk.with_partitions() if lun.disk else ()), mapped):
                if dev is None:
                    continue
                nodes.add(dev.devnode)
                out += [Hold(dev.devnode, f"mounted on {mp}", "mount") for mp in dev.mountpoints]
            for part in lun.disk.partitions if lun.disk else ():
                out += [Hold(part.devnode, f"held by {blockdev.describe_holder(root, h)}", "dm")
                        for h in part.holders]
            if lun.disk is not None:
                for h in lun.disk.holders:
                    if lun.map is not None and h == lun.map.name:
                        out.append(Hold(lun.disk.devnode, f"path of multipath map {lun.map.dm_name}", "map"))
                    else:
                        out.append(Hold(lun.disk.devnode, f"held by {blockdev.describe_holder(root, h)}", "dm"))
            if mapped is not None:
                out += [Hold(mapped.devnode, f"held by {blockdev.describe_holder(root, h)}", "dm")
                        for h in mapped.holders]
    paths = {lun.disk.devnode for v in views for lun in v.luns if lun.disk is not None}
    out += [Hold(devnode, f"open by {', '.join(users)}", "open", tuple(users))
            for devnode, users in _users(root, nodes, paths, udev_wait).items()]
    return list(dict.fromkeys(out))


def _users(root: Root, nodes: set[str], paths: set[str], udev_wait: float) -> dict[str, list[str]]:
    """The processes that have the devices open, by device. multipathd keeps every path it monitors open (its
    path checker): that is the map being flushed or the path being removed, not a user of the disk. Any other
    process, or multipathd on a map itself, is one. udev's workers are let go of the disk first: while they
    alone have devices open they are given ``udev_wait`` seconds to finish."""
    deadline = time.monotonic() + udev_wait
    while True:
        users = {devnode: found for devnode, procs in blockdev.open_by(root, nodes).items()
                 if (found := [p for p in procs if not (devnode in paths and p.startswith(f"{MULTIPATHD}["))])}
        probing = all(p.startswith(UDEV_WORKERS) for found in users.values() for p in found)
        if not users or not probing or time.monotonic() >= deadline:
            return users
        time.sleep(0.1)


UDEV_HINT = f"udev is still probing it after {UDEV_WAIT:.0f} s: run 'udevadm settle', then this again"


def _only_udev(found: list[Hold]) -> bool:
    """Whether every hold is a disk open by udev's workers alone (still there after the wait)."""
    return bool(found) and all(h.kind == "open" and all(p.startswith(UDEV_WORKERS) for p in h.users)
                               for h in found)


def check_free(root: Root, views: list[SessionView]) -> None:
    found = holds(root, views)
    if found:
        listed = "; ".join(f"{h.device} {h.what}" for h in found)
        raise InUseError(f"refusing to log out: {listed}",
                         hint=UDEV_HINT if _only_udev(found) else
                         "unmount and stop what uses it, or use --teardown (with --unmount to unmount)")


def teardown(root: Root, cmd: Commands, views: list[SessionView], all_sessions: list[Session], *,
             unmount: bool, meanwhile: Callable[[], object] | None = None) -> list[str]:
    """Release the sessions' disks; returns what was done, in order. Refuses LVM/dm holders and open devices.
    ``meanwhile`` (reads the caller needs next, no change) runs while the maps flush, once the checks have
    passed: `multipath -F` of 32 maps waits some 1 s on udev, and the same reads beside the logout that
    follows slowed it."""
    done: list[str] = []
    leaving = {v.session.sid for v in views}
    # maps that keep paths through sessions that stay (read once: a walk per LUN grew with LUNs x sessions):
    # only this path leaves such a map, which stays mounted and in use
    kept = frozenset(x.map.wwid for v in blockdev.session_views(root, [s for s in all_sessions if s.sid not in leaving],
                                                                brief=True)
                     for x in v.luns if x.map is not None and x.map.wwid)
    found = holds(root, views, kept)
    blocking = [h for h in found if h.kind in ("dm", "open") or (h.kind == "mount" and not unmount)]
    if blocking:
        listed = "; ".join(f"{h.device} {h.what}" for h in blocking)
        if any(h.kind == "mount" for h in blocking):
            hint = "add --unmount to unmount"
        elif _only_udev(blocking):
            hint = UDEV_HINT
        else:
            hint = "stop the process or deactivate the holder (vgchange -an VG, cryptsetup close NAME) first"
        raise InUseError(f"cannot tear down: {listed}", hint=hint)
    luns: list[Lun] = [lun for v in views for lun in v.luns]
    # each path of a map is a LUN here, and every one of them names the map's mount: unmount it once
    mountpoints = dict.fromkeys(
        mp for lun in luns
        for dev in (lun.map if lun.map is not None and lun.map.wwid not in kept else None,
                    *(lun.disk.with_partitions() if lun.disk else ())) if dev for mp in dev.mountpoints)
    for mp in mountpoints:
        cmd.run(["umount", mp], mutating=True, action=f"unmounting {mp}")
        done.append(f"unmounted {mp}")
    flushed: set[str] = set()
    for lun in luns:
        if lun.map is None or lun.disk is None:
            continue
        if lun.map.wwid in kept:
            cmd.run(["multipathd", "del", "path", lun.disk.name], mutating=True,
                    action=f"removing {lun.disk.name} from map {lun.map.dm_name}")
            done.append(f"removed path {lun.disk.name} from map {lun.map.dm_name}")
        elif lun.map.dm_name and lun.map.dm_name not in flushed:
            flushed.add(lun.map.dm_name)
    names = sorted(flushed)
    every_map = len(names) > 1 and set(names) == multipath.map_names(root)

    def flush_maps() -> None:
        if every_map:
            # these maps are every map the host has: one `multipath -F` flushes exactly them (32 `multipath -f`
            # side by side took 2.8 s in the TCG lab guest, each loading the configuration and scanning paths)
            cmd.run(["multipath", "-F"], mutating=True, action=f"flushing every multipath map ({len(names)})")
        else:  # maps side by side, each its own multipath -f (a dry run lists them in order)
            fanout.each(lambda name: cmd.run(["multipath", "-f", name], mutating=True,
                                             action=f"flushing map {name}"),
                        names, parallel=1 if cmd.dry_run else fanout.IN_FLIGHT)

    disks = [lun.disk for lun in luns if lun.disk is not None]

    def flush_buffers() -> None:  # one blockdev for every disk; the logout that follows removes them
        cmd.run(["blockdev", "--flushbufs", *(d.devnode for d in disks)], mutating=True,
                action=f"flushing {', '.join(d.devnode for d in disks)}")

    def buffers_then_meanwhile() -> None:
        if disks:
            flush_buffers()
        if meanwhile is not None:
            meanwhile()

    # a path's own buffers and its map are apart (the map's I/O does not go through sdX's page cache): the
    # two flushes run side by side, except in a dry run, which lists them in order
    if names and not cmd.dry_run:
        fanout.beside(flush_maps, buffers_then_meanwhile)
    else:
        if names:
            flush_maps()
        buffers_then_meanwhile()
    done += [f"flushed multipath map {name}" for name in names]
    done += [f"flushed {d.devnode}" for d in disks]
    return done
