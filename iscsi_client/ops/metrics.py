"""isc metrics: the initiator's health as Prometheus metric families, a pure function of doctor's Facts.

Reading never runs iscsiadm: sessions, LUNs and disks come from sysfs and the udev database, records from
the node database files, paths from multipathd (live host only), findings from doctor's checks without
the ping probes. Names follow Prometheus' conventions: the isc_ prefix, base units (seconds), no _total on
gauges, labels limited to target, portal, map, mount point and small fixed sets (state, level, code).
"""

from __future__ import annotations

import time

from iscsi_client.ops.doctor_checks import CHECKS, FAILURE, OK, SKIPPED, WARNING, run_checks
from iscsi_client.ops.doctor_facts import Facts, gather
from iscsi_client.ops.doctor_fstab import iscsi_fstab_lines
from iscsi_client.records import field, record
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

SESSION_STATES = ("logged_in", "failed", "free")  # the kernel's iscsi_session states, lower-cased
PATH_STATES = ("active", "failed")  # device-mapper's view of a path
LEVELS = (OK, WARNING, FAILURE, SKIPPED)

Labels = tuple[tuple[str, str], ...]


@record
class Family:
    """One metric family: a gauge (every family isc exports is a gauge: a state at sample time)."""
    name: str
    help: str
    label_names: tuple[str, ...]
    samples: tuple[tuple[tuple[str, ...], float], ...] = field(default=())


def _lower(state: str | None) -> str:
    return (state or "unknown").lower()


def session_families(f: Facts) -> list[Family]:
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for v in f.views:
        s = v.session
        per = counts.setdefault((str(s.target), s.portal.address), dict.fromkeys(SESSION_STATES, 0))
        per[_lower(s.state)] = per.get(_lower(s.state), 0) + 1
    sessions = Family("isc_sessions", "iSCSI sessions by target, portal and session state (the kernel's).",
                      ("target", "portal", "state"),
                      tuple(((t, p, st), float(n)) for (t, p), per in sorted(counts.items())
                            for st, n in per.items()))
    logged_in = {(str(v.session.target), v.session.portal.host, v.session.portal.port) for v in f.views
                 if _lower(v.session.state) == "logged_in"}
    records: dict[tuple[str, str, str], float] = {}
    for n in f.nodes:
        up = (str(n.target), n.portal.host, n.portal.port) in logged_in
        key = (str(n.target), n.portal.address, n.startup)
        records[key] = max(records.get(key, 0.0), 1.0 if up else 0.0)
    record_family = Family("isc_node_logged_in",
                           "1 when a node record's target has a logged-in session on its portal, else 0; startup "
                           "is node.startup (automatic records are expected to be logged in).",
                           ("target", "portal", "startup"), tuple(sorted(records.items())))
    return [sessions, record_family]


def lun_families(f: Facts) -> list[Family]:
    """Per target and LUN: running paths against the target's logged-in sessions (each should carry it)."""
    expected: dict[str, int] = {}
    found: dict[tuple[str, str], int] = {}
    for v in f.views:
        target = str(v.session.target)
        if _lower(v.session.state) == "logged_in":
            expected[target] = expected.get(target, 0) + 1
        for lun in v.luns:
            key = (target, str(lun.lun))
            running = lun.disk is not None and _lower(lun.state) == "running"
            found[key] = found.get(key, 0) + (1 if running and _lower(v.session.state) == "logged_in" else 0)
    paths = Family("isc_lun_paths", "Running SCSI paths (disks on logged-in sessions) of each LUN.",
                   ("target", "lun"), tuple((k, float(n)) for k, n in sorted(found.items())))
    want = Family("isc_lun_expected_paths", "Logged-in sessions of the LUN's target: the paths the LUN should "
                  "have.", ("target", "lun"), tuple((k, float(expected.get(k[0], 0))) for k in sorted(found)))
    short: dict[str, int] = dict.fromkeys(sorted({t for t, _ in found}), 0)
    for (target, _), n in found.items():
        if n < expected.get(target, 0):
            short[target] += 1
    missing = Family("isc_luns_missing_paths", "LUNs of each target with fewer running paths than the target "
                     "has logged-in sessions.", ("target",), tuple(((t,), float(n)) for t, n in short.items()))
    return [paths, want, missing]


def map_families(f: Facts) -> list[Family]:
    if f.maps is None:
        return [Family("isc_multipathd_up", "1 when multipathd answered (path states below), else 0.", (),
                       (((), 0.0),))]
    samples: list[tuple[tuple[str, ...], float]] = []
    for m in sorted(f.maps, key=lambda m: m.name):
        per = dict.fromkeys(PATH_STATES, 0)
        for p in m.paths:
            per[_lower(p.dm_state)] = per.get(_lower(p.dm_state), 0) + 1
        samples += [((m.name, st), float(n)) for st, n in per.items()]
    return [Family("isc_multipathd_up", "1 when multipathd answered (path states below), else 0.", (), (((), 1.0),)),
            Family("isc_multipath_paths", "Paths of each multipath map by device-mapper state (active, failed).",
                   ("map", "state"), tuple(samples))]


def mount_families(f: Facts) -> list[Family]:
    mounted = {mp for v in f.views for lun in v.luns
               for dev in (*(lun.disk.with_partitions() if lun.disk else ()), lun.map) if dev is not None
               for mp in dev.mountpoints}
    samples = {(line.entry.mountpoint,): 1.0 if line.entry.mountpoint in mounted else 0.0
               for line, _ in iscsi_fstab_lines(f)}
    return [Family("isc_mount_present", "1 when an iSCSI filesystem of /etc/fstab is mounted from an iSCSI "
                   "device, 0 when it is missing.", ("mountpoint",), tuple(sorted(samples.items())))]


def doctor_families(f: Facts) -> list[Family]:
    counts = {(c.code, level): 0 for c in CHECKS for level in LEVELS}
    for finding in run_checks(f):
        counts[(finding.code, finding.level)] = counts.get((finding.code, finding.level), 0) + 1
    return [Family("isc_doctor_findings", "isc doctor's findings by check code and level (without the MTU "
                   "probes); isc doctor explain CODE says what a code checks.", ("code", "level"),
                   tuple(((code, level), float(n)) for (code, level), n in sorted(counts.items())))]


def families(f: Facts, *, started: float, finished: float) -> list[Family]:
    return [
        *session_families(f), *lun_families(f), *map_families(f), *mount_families(f), *doctor_families(f),
        Family("isc_sample_timestamp_seconds", "When isc took this sample (Unix time).", (), (((), started),)),
        Family("isc_sample_duration_seconds", "How long reading the sample took.", (),
               (((), finished - started),)),
    ]


def sample(*, root: Root, cmd: Commands) -> list[Family]:
    """Read everything once (no iscsiadm, no pings) and return the families."""
    started = time.time()
    facts = gather(root=root, cmd=cmd, probe_mtu=False)
    return families(facts, started=started, finished=time.time())
