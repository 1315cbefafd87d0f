"""What is logged in and what it became: sessions, LUNs, disks, maps, mounts."""

from __future__ import annotations

from iscsi_client.model import BlockDevice, SessionView
from iscsi_client.system import blockdev
from iscsi_client.system.root import Root


def status(*, root: Root) -> list[SessionView]:
    return blockdev.session_views(root)


def device_dict(d: BlockDevice | None) -> dict[str, object] | None:
    if d is None:
        return None
    return {"name": d.name, "path": d.devnode, "maj_min": d.major_minor, "size_bytes": d.size_bytes,
            "vendor": d.vendor, "model": d.model, "wwid": d.wwid, "fstype": d.fstype, "fs_uuid": d.fs_uuid,
            "fs_label": d.fs_label, "mountpoints": list(d.mountpoints), "holders": list(d.holders),
            "links": list(d.links), "dm_name": d.dm_name,
            "partitions": [device_dict(p) for p in d.partitions]}


def views_as_targets(views: list[SessionView]) -> list[dict[str, object]]:
    """Group by target (the JSON shape of ``isc status``)."""
    targets: dict[str, list[dict[str, object]]] = {}
    for v in views:
        s = v.session
        targets.setdefault(str(s.target), []).append({
            "sid": s.sid, "portal": s.portal.address, "tpgt": s.portal.tpgt, "iface": s.iface,
            "state": s.state, "connection_state": s.connection_state, "recovery_tmo": s.recovery_tmo,
            "host": s.host,
            "luns": [{"lun": lun.lun, "hctl": lun.hctl, "state": lun.state, "device": device_dict(lun.disk),
                      "map": device_dict(lun.map)} for lun in v.luns],
        })
    return [{"target": t, "sessions": ss} for t, ss in sorted(targets.items())]
