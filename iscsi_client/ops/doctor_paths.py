"""isc doctor's checks of paths, maps and session state: several paths under one map, maps with failed or
no working paths, paths through one NIC, sessions reconnecting and LUNs gone."""

from __future__ import annotations

from iscsi_client.kernel_model import BlockDevice, MultipathMap
from iscsi_client.ops.doctor_facts import Facts
from iscsi_client.ops.doctor_finding import FAILURE, OK, WARNING, Finding
from iscsi_client.ops.doctor_finding import finding as _f
from iscsi_client.system.ifacedb import BUILTIN_NAMES


def _lun_paths(f: Facts) -> dict[str, list[tuple[str, BlockDevice, BlockDevice | None]]]:
    """wwid -> [(portal, disk, map)] over all sessions."""
    out: dict[str, list[tuple[str, BlockDevice, BlockDevice | None]]] = {}
    for v in f.views:
        for lun in v.luns:
            if lun.disk and lun.disk.wwid:
                out.setdefault(lun.disk.wwid, []).append((v.session.portal.address, lun.disk, lun.map))
    return out


def paths(f: Facts) -> list[Finding]:
    out = []
    per_wwid = _lun_paths(f)
    portals_of: dict[str, set[str]] = {}
    wanted_of: dict[str, int] = {}  # sessions the target's records ask for (node.session.nr_sessions each)
    for n in f.nodes:
        portals_of.setdefault(str(n.target), set()).add(n.portal.address)
        wanted_of[str(n.target)] = wanted_of.get(str(n.target), 0) + n.nr_sessions
    target_of = {lun.disk.wwid: str(v.session.target) for v in f.views for lun in v.luns if lun.disk}
    for wwid, ps in per_wwid.items():
        mapped = [m for _, _, m in ps if m is not None]
        disks = [d for _, d, _ in ps]
        if len(ps) > 1 and not mapped:
            out.append(_f("ISC020", FAILURE, f"LUN {wwid} is reachable on {len(ps)} paths "
                          f"({', '.join(d.devnode for d in disks)}) but not under multipath",
                          "isc multipath config --write", wwid))
        mounted_path = [x for d in disks for x in d.with_partitions() if x.mountpoints]
        if len(ps) > 1 and mounted_path:
            out.append(_f("ISC020", FAILURE, f"{mounted_path[0].devnode} (on one path of {wwid}) is mounted "
                          f"directly on {mounted_path[0].mountpoints[0]}: the other paths give no protection",
                          "unmount it, set up multipath (isc multipath config --write), mount the map", wwid))
        target = target_of.get(wwid)
        offered = len(portals_of.get(target or "", ()))
        wanted = wanted_of.get(target or "", 0)
        if mapped and (offered > len({p for p, _, _ in ps}) or wanted > len(ps)):
            per = "" if wanted == offered else f", {wanted} session(s) with node.session.nr_sessions"
            out.append(_f("ISC021", WARNING, f"map {wwid} has {len(ps)} path(s) but {target} has records on "
                          f"{offered} portal(s){per}", f"isc login {target}", wwid))
        if len(ps) == 1 and offered <= 1 and (disks[0].vendor or "").strip() == "IET":
            out.append(_f("ISC027", OK, f"LUN {wwid} of {target} has one path: tgt answers discovery with the "
                          "portal that was asked only, so a target with more portals needs a discovery on each",
                          "isc discover OTHER_PORTAL (if the target has one)", wwid))
    for m in f.maps or []:
        if m.queueing == "on":
            out.append(_f("ISC026", WARNING, f"map {m.name} queues I/O forever once every path has failed "
                          "(no_path_retry queue): processes hang in D state and shutdown waits for a target "
                          "that may never come back",
                          "set no_path_retry to a number of checker intervals (12 is LIO's built-in value) where it "
                          "is set to queue in multipath.conf, then: multipathd reconfigure", m.name))
        if m.paths and not any(p.healthy for p in m.paths):
            out.append(_no_working_path(m))
        for p in m.paths:
            if not p.healthy:
                out.append(_f("ISC022", FAILURE, f"map {m.name}: path {p.dev} is {p.dm_state}/{p.checker_state}",
                              "check the network and the target portal for this path; 'isc multipath status' and "
                              "'multipath -ll' show it", p.dev))
    if f.maps is None and f.live and any(len(v) > 1 for v in per_wwid.values()):
        out.append(_f("ISC022", WARNING, "multipathd is not running or not installed", "systemctl enable --now "
                      "multipathd"))
    return out or [_f("ISC020", OK, "paths: no single-path mounts, no failed paths")]


def _no_working_path(m: MultipathMap) -> Finding:
    """Every path of a map has failed: what happens to its I/O now, from multipathd's queueing summary
    ("N sec" of queueing left, "on" for ever, "off" once no_path_retry has run out or is fail)."""
    q = m.queueing.strip()
    back = "bring a path back: 'isc status' shows each session, check the network and the target"
    if q.endswith(" sec"):
        how = (f"I/O is queued and fails in {q.removesuffix(' sec')} s unless a path comes back "
               "(no_path_retry)")
        fix = f"{back}; to fail the queued I/O at once instead: multipathd disablequeueing map {m.name}"
    elif q == "on" or (m.queue_if_no_path and not q[:1].isdigit()):
        how = "I/O is queued until a path comes back (no_path_retry queue): whatever uses the map hangs"
        fix = f"{back}; to fail the queued I/O instead: multipathd disablequeueing map {m.name}"
    else:
        how = ("I/O to it fails: queueing has stopped (no_path_retry ran out or is fail), so a filesystem on "
               "it may have shut down or gone read-only")
        fix = (f"{back} (multipathd queues again once one is active); then unmount and check the filesystem "
               "on the map before using it again")
    return _f("ISC028", FAILURE, f"map {m.name} has no working path ({len(m.paths)} failed): {how}", fix, m.name)


def nic_redundancy(f: Facts) -> list[Finding]:
    """Every path of a map leaving through one NIC: a cable or switch port takes them all down."""
    out = []
    by_map: dict[str, list[tuple[int, str, str]]] = {}  # map -> [(sid, portal, nic)]
    for v in f.views:
        nic = f.egress.get(v.session.sid)
        for lun in v.luns:
            if lun.map is not None and nic is not None:
                by_map.setdefault(lun.map.name, []).append((v.session.sid, v.session.portal.address, nic))
    for name, ps in sorted(by_map.items()):
        nics = {nic for _, _, nic in ps}
        if len(ps) > 1 and len(nics) == 1 and nics != {"lo"}:
            (nic,) = nics
            out.append(_f("ISC024", WARNING, f"map {name}: all {len(ps)} paths ({', '.join(p for _, p, _ in ps)}) "
                          f"leave through {nic}; one NIC, cable or switch port takes every path down",
                          "bind one iface per NIC and log in through each: isc iface add iface-NIC --netdev NIC; "
                          "isc discover PORTAL -I iface-NIC --login (or put the portals in separate subnets)", name))
    return out or [_f("ISC024", OK, "multipath maps do not depend on a single NIC")]


def default_beside_bound(f: Facts) -> list[Finding]:
    """A portal with a record through `default` and records through ifaces of one's own: a login of the
    portal logs in through each, and the default session leaves through whichever NIC routes there. It
    happens after a discovery made before the ifaces existed (iscsiadm then discovers through the ifaces
    only, and the earlier default records stay)."""
    by_portal: dict[tuple[str, str], set[str]] = {}
    for n in f.nodes:
        by_portal.setdefault((str(n.target), n.portal.address), set()).add(n.iface)
    out = []
    for (target, portal), ifaces in sorted(by_portal.items()):
        own = sorted(ifaces - set(BUILTIN_NAMES))
        if "default" in ifaces and own:
            out.append(_f("ISC025", WARNING, f"{target} on {portal} has a record through default beside "
                          f"{', '.join(own)}: a login of the portal also logs in through default, a session "
                          "leaving through whichever NIC the routing table picks",
                          f"isc nodes delete {target} -p {portal} -I default  (after isc logout {target} -p "
                          f"{portal} -I default if it is logged in)", f"{target} {portal}"))
    return out or [_f("ISC025", OK, "no portal mixes default with ifaces of its own")]


def multipathed_sessions(f: Facts) -> set[int]:
    """Ids of sessions whose LUNs are paths of a multipath map."""
    return {v.session.sid for v in f.views if any(lun.map for lun in v.luns)}


def _without_a_live_path(f: Facts) -> set[int]:
    """Ids of multipathed sessions none of whose maps has a path through a logged-in session (from sysfs:
    multipathd's checker notices a dead path only at its next interval)."""
    by_map: dict[str, set[int]] = {}
    for v in f.views:
        for lun in v.luns:
            if lun.map is not None:
                by_map.setdefault(lun.map.name, set()).add(v.session.sid)
    up = {v.session.sid for v in f.views if v.session.state == "LOGGED_IN"}
    return {sid for sids in by_map.values() if not sids & up for sid in sids}


def session_health(f: Facts) -> list[Finding]:
    """Sessions not logged in (the kernel is reconnecting) and SCSI devices not running: blocked during
    recovery and transport-offline after replacement_timeout both resume when the session comes back; a
    device the SCSI layer set offline (error handling gave up) stays offline until set running."""
    out = []
    multipathed = multipathed_sessions(f)
    alone = _without_a_live_path(f)
    for v in f.views:
        s = v.session
        if s.state and s.state != "LOGGED_IN":
            if s.sid not in multipathed:
                io = f"I/O waits up to {s.recovery_tmo if s.recovery_tmo is not None else '?'} s, then fails"
            elif s.sid in alone:
                io = ("no other path of its map is logged in: the map's I/O is queued or fails as its "
                      "no_path_retry says (ISC028)")
            else:
                io = "I/O moves to the other paths"
            out.append(_f("ISC023", FAILURE, f"session {s.sid} ({s.target} on {s.portal.address}) is {s.state}, "
                          f"connection {s.connection_state or 'unknown'}: the kernel keeps reconnecting; {io}",
                          f"check the network path to {s.portal.host} and the target's portal; "
                          f"'iscsiadm -m session -r {s.sid} -P 1' shows the connection", str(s.sid)))
        for lun in v.luns:
            if lun.state and lun.state != "running":
                dev = lun.disk.devnode if lun.disk else lun.hctl
                fix = (f"once the session is back: echo running > /sys/class/scsi_device/{lun.hctl}/device/state"
                       if lun.state == "offline" else
                       "fix the session (above): blocked and transport-offline devices resume when it recovers")
                out.append(_f("ISC023", FAILURE, f"{dev} (LUN {lun.lun} of session {s.sid}) is {lun.state}",
                              fix, dev))
            elif lun.gone and lun.disk is not None:
                out.append(_f("ISC023", FAILURE, f"{lun.disk.devnode} (LUN {lun.lun} of session {s.sid}, {s.target}) "
                              f"is gone: {lun.gone}; I/O to it fails",
                              f"isc logout {s.target} --teardown, or delete just it: echo 1 > "
                              f"/sys/block/{lun.disk.name}/device/delete", lun.disk.devnode))
    return out or [_f("ISC023", OK, "every session is logged in and every LUN is running")]
