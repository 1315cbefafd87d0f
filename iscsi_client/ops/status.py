"""What is logged in and what it became: sessions, LUNs, disks, maps, mounts."""

from __future__ import annotations

from iscsi_client.errors import NotFoundError
from iscsi_client.kernel_model import BlockDevice, Negotiated, Session, SessionView
from iscsi_client.model import Iqn, Portal
from iscsi_client.system import blockdev, sysfs
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Sequence


def status(*, root: Root, sids: Sequence[int] = ()) -> list[SessionView]:
    """Every session's view, or those with the given ids (NotFoundError naming any id that is not there)."""
    views = blockdev.session_views(root)
    if not sids:
        return views
    missing = sorted(set(sids) - {v.session.sid for v in views})
    if missing:
        raise NotFoundError(f"no session with id {', '.join(map(str, missing))}",
                            hint="'isc sessions' lists the active sessions and their ids")
    return [v for v in views if v.session.sid in set(sids)]


def problems(views: Sequence[SessionView]) -> list[str]:
    """What in the views needs attention: sessions that are not logged in (the kernel is reconnecting),
    LUNs whose SCSI device is not running, LUNs removed on the target. Empty when all is well."""
    out = []
    for v in views:
        s = v.session
        if s.state and s.state != "LOGGED_IN":
            out.append(f"session {s.sid} ({s.target} on {s.portal.address}) is {s.state}, connection "
                       f"{s.connection_state or 'unknown'}: the kernel is reconnecting")
        for lun in v.luns:
            dev = lun.disk.devnode if lun.disk else lun.hctl
            if lun.state and lun.state != "running":
                out.append(f"{dev} (LUN {lun.lun} of session {s.sid}) is {lun.state}")
            elif lun.gone:
                out.append(f"{dev} (LUN {lun.lun} of session {s.sid}) is gone: {lun.gone}")
    return out


def negotiated(*, root: Root, sessions: Sequence[Session]) -> dict[int, Negotiated]:
    """Each session's local address and negotiated login parameters, by session id (read on demand: isc
    status walks hundreds of sessions and does not show them)."""
    return {s.sid: sysfs.negotiated(root, s) for s in sessions}


def select_sessions(sessions: Sequence[Session], *, sids: Sequence[int] = (), target: Iqn | None = None,
                    portal: Portal | None = None, iface: str | None = None) -> list[Session]:
    """The sessions a command names: by id (``iscsiadm -m session -r SID``), target, portal and iface,
    each narrowing the others; everything when nothing is named."""
    wanted = set(sids)
    return [s for s in sessions if (not wanted or s.sid in wanted) and (target is None or s.target == target)
            and (portal is None or s.portal.same_address(portal)) and (iface is None or s.iface == iface)]


def device_dict(d: BlockDevice | None) -> dict[str, object] | None:
    if d is None:
        return None
    return {"name": d.name, "path": d.devnode, "maj_min": d.major_minor, "size_bytes": d.size_bytes,
            "vendor": d.vendor, "model": d.model, "wwid": d.wwid, "fstype": d.fstype, "fs_uuid": d.fs_uuid,
            "fs_label": d.fs_label, "mountpoints": list(d.mountpoints), "holders": list(d.holders),
            "links": list(d.links), "dm_name": d.dm_name,
            "partitions": [device_dict(p) for p in d.partitions]}


def views_as_targets(views: list[SessionView],
                     firmware: set[tuple[str, str]] | None = None) -> list[dict[str, object]]:
    """Group by target (the JSON shape of ``isc status``). ``firmware``: (target, portal) of the boot
    firmware's targets (ops/firmware.py), whose sessions are marked."""
    targets: dict[str, list[dict[str, object]]] = {}
    for v in views:
        s = v.session
        targets.setdefault(str(s.target), []).append({
            "sid": s.sid, "portal": s.portal.address, "tpgt": s.portal.tpgt, "iface": s.iface,
            "firmware": (str(s.target), s.portal.address) in (firmware or set()),
            "state": s.state, "connection_state": s.connection_state, "recovery_tmo": s.recovery_tmo,
            "host": s.host,
            "luns": [{"lun": lun.lun, "hctl": lun.hctl, "state": lun.state, "scsi_type": lun.kind,
                      "inquiry": lun.inquiry, "gone": lun.gone, "device": device_dict(lun.disk),
                      "map": device_dict(lun.map)} for lun in v.luns],
        })
    return [{"target": t, "sessions": ss} for t, ss in sorted(targets.items())]
