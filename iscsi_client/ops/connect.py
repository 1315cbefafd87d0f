"""isc connect: from a portal to a verified mount, as a plan of steps built from isc's own operations.

discover -> CHAP -> boot login -> multipath timeouts -> login (devices) -> multipath map -> mount -> doctor.
Each step checks the state it brings about, so a second identical connect changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from iscsi_client import records
from iscsi_client.errors import IscError, NotFoundError, UsageError
from iscsi_client.kernel_model import SessionView
from iscsi_client.model import Iqn, Node, Portal, Secret
from iscsi_client.ops.chap import ChapRequest, chap_in_place, discovery_chap_settings, set_chap
from iscsi_client.ops.discover import DiscoveryChap, discover, discovered_through
from iscsi_client.ops.login import login
from iscsi_client.ops.node_settings import set_node_values
from iscsi_client.ops.plan import Done, Engine, PlanReport, Step, Tools
from iscsi_client.ops.startup import set_startup
from iscsi_client.ops.tunables import MULTIPATH_REPLACEMENT_TIMEOUT
from iscsi_client.parsers import fstab as fstab_text
from iscsi_client.records import record
from iscsi_client.startup_mode import Startup
from iscsi_client.system import blockdev, nodedb, sysfs
from iscsi_client.system import fstab as fstab_file
from iscsi_client.system.root import Root

#: what doctor (ISC030) advises for a multipathed session: fail I/O over to the other paths after 5 s


@record
class MountRequest:
    mountpoint: str
    lun: int | None = None
    mkfs: bool = False
    fstype: str | None = None
    options: str | None = None
    force: bool = False


@record
class ConnectRequest:
    portals: tuple[Portal, ...]
    target: Iqn | None = None
    chap: ChapRequest | None = None
    discovery_chap: DiscoveryChap | None = None
    startup: Startup = Startup.AUTOMATIC
    mount: MountRequest | None = None
    multipath: bool = True
    probe_mtu: bool = True
    wait_timeout: float = 30.0
    login: bool = True  # False: the records only (discovery, CHAP, startup, timeouts), no session


@record(frozen=False)
class Summary:
    target: str
    portals: list[str] = records.field(default_factory=list)
    sessions: list[dict[str, object]] = records.field(default_factory=list)
    devices: list[str] = records.field(default_factory=list)
    maps: list[str] = records.field(default_factory=list)
    mount: str | None = None
    findings: list[dict[str, object]] = records.field(default_factory=list)  # doctor's, for this target, not ok


class Connection:
    """The facts the steps read, and the target once known (the only one the portals offer, if unnamed)."""

    def __init__(self, root: Root, req: ConnectRequest) -> None:
        self.root = root
        self.req = req
        self.chosen: Iqn | None = req.target
        self.findings: list[dict[str, object]] = []

    # facts ------------------------------------------------------------------------------------------
    @property
    def target(self) -> Iqn:
        if self.chosen is None:
            self.chosen = self._only_target()
        return self.chosen

    def _only_target(self) -> Iqn:
        asked = {p.without_tpgt().address for p in self.req.portals}
        known = sorted({str(n.target) for n, rec in nodedb.read_records(self.root)
                        if discovered_through(rec) in asked})
        if len(known) == 1:
            return Iqn.parse(known[0])
        if not known:
            raise NotFoundError("no target known at these portals yet", hint="the discovery step finds them")
        raise UsageError(f"the portals offer several targets: {', '.join(known)}", hint="pick one with --target IQN")

    def known(self) -> Iqn | None:
        """The target, or None while no discovery has named it (the checks then say 'not yet')."""
        try:
            return self.target
        except IscError:
            return None

    def nodes(self) -> list[Node]:
        t = self.known()
        return nodedb.read_nodes(self.root, target=t) if t else []

    def views(self) -> list[SessionView]:
        t = self.known()
        return [v for v in blockdev.session_views(self.root) if v.session.target == t] if t else []

    def multipathed(self) -> bool:
        return self.req.multipath and len({n.portal.address for n in self.nodes()}) > 1

    # checks -----------------------------------------------------------------------------------------
    def discovered(self) -> bool:
        """Each portal has its discovery record (with the discovery CHAP asked for, secret compared in
        memory) and the target has node records."""
        want: dict[str, str] = {}
        d = self.req.discovery_chap
        if d is not None:
            want = {k: v.reveal() if isinstance(v, Secret) else v for k, v in discovery_chap_settings(
                "sendtargets", d.user, d.secret, d.allow_long, d.mutual_user, d.mutual_secret)}
        for p in self.req.portals:
            values = nodedb.discovery_values(self.root, "sendtargets", p.without_tpgt().address)
            if values is None or any((values.get(k) or "") != v for k, v in want.items()):
                return False
        return bool(self.nodes())

    def chap_set(self) -> bool:
        t = self.known()
        return t is not None and self.req.chap is not None and chap_in_place(self.root, t, self.req.chap)

    def startup_set(self) -> bool:
        nodes = self.nodes()
        return bool(nodes) and all(n.startup == self.req.startup.value for n in nodes)

    def timeouts_fit(self) -> bool:
        """Single-path: nothing to set. Several portals: every record fails I/O over quickly."""
        nodes = self.nodes()
        return bool(nodes) and (not self.multipathed() or
                                all(str(n.replacement_timeout) == MULTIPATH_REPLACEMENT_TIMEOUT for n in nodes))

    def map_fits(self) -> bool:
        return bool(self.nodes()) and (not self.multipathed() or self.mapped())

    def logged_in(self) -> bool:
        nodes = self.nodes()
        sessions = sysfs.read_sessions(self.root)
        return bool(nodes) and all(any(s.target == n.target and s.portal.same_address(n.portal)
                                       and s.iface == n.iface for s in sessions) for n in nodes)

    def mapped(self) -> bool:
        from iscsi_client.ops.multipath_config import multipath_luns
        from iscsi_client.system import multipath

        views = self.views()
        if not views or not multipath.read_dropin(self.root):
            return False
        wanted = multipath_luns(self.root, views)
        registered = multipath.registered_wwids(self.root)
        have = {lun.map.wwid for v in views for lun in v.luns if lun.map is not None}
        return bool(wanted) and all(w in registered and w in have for w in wanted)

    def mounted(self) -> bool:
        m = self.req.mount
        assert m is not None
        mp = os.path.normpath(m.mountpoint)
        owned = [e for t, _, e in fstab_text.owned_entries(fstab_file.read_fstab(self.root))
                 if e.mountpoint == mp and t == str(self.known())]
        if not owned:
            return False
        devnos = {d.major_minor for v in self.views() for lun in v.luns for d in (lun.map, lun.disk)
                  if d is not None and mp in d.mountpoints}
        return bool(devnos)

    # runs ---------------------------------------------------------------------------------------------
    def run_discover(self, t: Tools) -> Done:
        found = discover(root=self.root, adm=t.adm, portals=list(self.req.portals), chap=self.req.discovery_chap)
        if t.dry_run:
            return Done("would ask " + ", ".join(p.without_tpgt().address for p in self.req.portals))
        offered = sorted({f.target for f in found})
        if self.chosen is not None and str(self.chosen) not in offered:
            raise NotFoundError(f"the portals do not offer {self.chosen}",
                                hint=f"they offer: {', '.join(offered) or 'nothing'}; check the name and the "
                                     "target's ACL")
        mine = [f for f in found if f.target == str(self.target)]
        new = [f.portal.address for f in mine if f.record == "new"]
        skipped = [f"{f.portal.address} ({', '.join(f.flags)})" for f in mine if f.record == "skipped"]
        text = f"{self.target} on {', '.join(f.portal.address for f in mine if f.record != 'skipped')}"
        if new:
            text += f"; new records: {', '.join(new)}"
        if skipped:
            text += f"; left out: {', '.join(skipped)}"
        return Done(text)

    def run_chap(self, t: Tools) -> Done:
        assert self.req.chap is not None
        set_chap(root=self.root, adm=t.adm, target=self.target, portal=None, request=self.req.chap)
        mutual = " and mutual" if self.req.chap.mutual_user else ""
        return Done(f"CHAP user {self.req.chap.user}{mutual} on every record of {self.target}")

    def run_startup(self, t: Tools) -> Done:
        set_startup(root=self.root, adm=t.adm, target=self.target, portal=None, mode=self.req.startup)
        return Done(f"node.startup {self.req.startup.value} on every record")

    def run_timeouts(self, t: Tools) -> Done:
        set_node_values(root=self.root, adm=t.adm, target=self.target, portal=None,
                        settings=[("node.session.timeo.replacement_timeout", MULTIPATH_REPLACEMENT_TIMEOUT)])
        return Done(f"replacement_timeout {MULTIPATH_REPLACEMENT_TIMEOUT} s: I/O fails over to the other paths "
                    "instead of waiting 120 s")

    def run_login(self, t: Tools) -> Done:
        outcomes = login(root=self.root, adm=t.adm, target=self.target, portal=None,
                         wait_timeout=self.req.wait_timeout, cmd=t.cmd)
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            err = failed[0].error or IscError(failed[0].detail)
            ok = [o.portal for o in outcomes if o.status != "failed"]
            if ok:
                err.message += f" (logged in on {', '.join(ok)})"
            raise err
        devices = [d for o in outcomes for d in o.devices]
        done = [o.portal for o in outcomes if o.status == "done"]
        return Done(f"{'would log in' if t.dry_run else 'logged in'} on {', '.join(done) or '-'}"
                    + (f"; devices {' '.join(devices)}" if devices else ""))

    def run_multipath(self, t: Tools) -> Done:
        from iscsi_client.ops.multipath_config import apply, multipath_luns, plan
        from iscsi_client.system.udev_wait import DeviceWaiter

        p = plan(root=self.root, cmd=t.cmd)
        waiter = None if t.dry_run or not self.root.is_live else DeviceWaiter(self.root)
        try:
            apply(root=self.root, cmd=t.cmd, p=p)
            if waiter is not None:
                wanted = multipath_luns(self.root, self.views())
                if not waiter.wait(self.mapped, self.req.wait_timeout):
                    raise IscError(f"no multipath map formed for {', '.join(wanted)} within "
                                   f"{self.req.wait_timeout:.0f} s", hint="see 'isc multipath status' and "
                                   "'multipath -v3'")
        finally:
            if waiter is not None:
                waiter.close()
        wwids = ", ".join(p.lun_wwids) or "the target's LUNs (known after login)"
        return Done(f"map for {wwids}", diff=p.diff)

    def run_mount(self, t: Tools) -> Done:
        from iscsi_client.ops.persist import persist

        m = self.req.mount
        assert m is not None
        luns = sorted({lun.lun for v in self.views() for lun in v.luns if lun.holds_data})
        if m.lun is None and len(luns) > 1:
            raise UsageError(f"{self.target} has LUNs {', '.join(map(str, luns))}; --mount takes one",
                             hint="name it with --lun N")
        what = f"{self.target}/{m.lun}" if m.lun is not None else str(self.target)  # else its only data LUN
        r = persist(root=self.root, adm=t.adm, cmd=t.cmd, what=what,
                    mountpoint=m.mountpoint, fstype=m.fstype, mkfs=m.mkfs, force=m.force, options=m.options,
                    single_path=False)  # one path of a multi-path LUN: persist refuses, naming why
        line = f"{r.spec} {r.mountpoint} {r.fstype} {r.options} 0 0"
        diff = f"+{fstab_text.MARKER}{r.target} lun {r.lun}\n+{line}\n" if r.fstab_changed else ""
        made = f"{r.fstype} made on {r.device}; " if r.formatted else ""
        return Done(f"{made}{r.device} on {r.mountpoint} (fstab, boot login, services)", diff=diff)

    def run_doctor(self, t: Tools) -> Done:
        from iscsi_client.ops.doctor_checks import OK, run_checks
        from iscsi_client.ops.doctor_facts import gather

        facts = gather(root=self.root, cmd=t.cmd, probe_mtu=self.req.probe_mtu)
        about = self.subjects()
        self.findings = [{"code": f.code, "level": f.level, "summary": f.summary, "fix": f.fix}
                         for f in run_checks(facts) if f.level != OK and _concerns(f, about)]
        levels = [str(f["level"]) for f in self.findings]
        return Done("clean" if not levels else ", ".join(f"{levels.count(x)} {x}(s)" for x in sorted(set(levels))))

    def subjects(self) -> set[str]:
        """Words that tie a doctor finding to this target: its name, portals, devices, maps, mount point."""
        out = {str(self.target)}
        out |= {n.portal.address for n in self.nodes()}
        for v in self.views():
            out.add(str(v.session.sid))
            for lun in v.luns:
                for d in (lun.disk, lun.map):
                    if d is not None:
                        out |= {d.devnode, d.name, *(d.mountpoints)} | ({d.wwid} if d.wwid else set())
        if self.req.mount:
            out.add(os.path.normpath(self.req.mount.mountpoint))
        return out

    def summary(self) -> Summary:
        s = Summary(str(self.chosen or self.req.target or "?"))
        if self.chosen is None and self.req.target is None:
            return s
        s.portals = sorted({n.portal.address for n in self.nodes()})
        for v in self.views():
            s.sessions.append({"sid": v.session.sid, "portal": v.session.portal.address, "state": v.session.state})
            for lun in v.luns:
                if lun.disk is not None:
                    s.devices.append(lun.disk.devnode)
                if lun.map is not None and lun.map.wwid and lun.map.wwid not in s.maps:
                    s.maps.append(lun.map.wwid)
                for d in (lun.map, lun.disk):
                    if d is not None and d.mountpoints and s.mount is None:
                        s.mount = d.mountpoints[0]
        s.findings = self.findings
        return s


def _concerns(finding: object, about: set[str]) -> bool:
    text = " ".join(str(getattr(finding, k) or "") for k in ("summary", "subject", "fix"))
    words = set(text.replace(",", " ").replace("(", " ").replace(")", " ").split())
    return bool(words & about) or any(a in text for a in about if len(a) > 8)


def connect_steps(c: Connection) -> list[Step]:
    req = c.req
    where = ", ".join(p.without_tpgt().address for p in req.portals)
    name = str(req.target) if req.target else "the target"
    steps = [Step("discover", f"SendTargets discovery at {where}", c.discovered, c.run_discover,
                  "a discovery record for each portal and node records for the target")]
    if req.chap is not None:
        steps.append(Step("chap", f"CHAP on the records of {name}", c.chap_set, c.run_chap,
                          "every record holds this CHAP user and secret"))
    steps.append(Step("startup", f"node.startup {req.startup.value}", c.startup_set, c.run_startup,
                      f"every record has node.startup {req.startup.value}"))
    if req.multipath:
        steps.append(Step("timeouts", "session timeouts for multipath", c.timeouts_fit,
                          _multipath_only(c, c.run_timeouts, "one portal: no multipath timeouts"),
                          f"with two or more portals, replacement_timeout {MULTIPATH_REPLACEMENT_TIMEOUT} s"))
    if not req.login:
        return steps
    steps += session_steps(c)
    steps.append(Step("doctor", "doctor's checks for this target", lambda: False, c.run_doctor,
                      "paths, MTU to its portals, timeouts, fstab, boot units", readonly=True))
    return steps


def session_steps(c: Connection, *, prefix: str = "") -> list[Step]:
    """Login on every portal, the multipath map, the mount: what connect and apply share."""
    name = str(c.req.target) if c.req.target else "the target"
    steps = [Step(f"{prefix}login", f"login on every portal of {name}, devices", c.logged_in, c.run_login,
                  "a session for every record, and each LUN's block device")]
    if c.req.multipath:
        steps.append(Step(f"{prefix}multipath", f"multipath map of {name}", c.map_fits,
                          _multipath_only(c, c.run_multipath, "one portal: no map"),
                          "isc's drop-in, the LUN's WWID registered, its map present"))
    if c.req.mount is not None:
        steps.append(mount_step(c, prefix=prefix))
    return steps


def mount_step(c: Connection, *, prefix: str = "") -> Step:
    assert c.req.mount is not None
    return Step(f"{prefix}mount", f"filesystem on {c.req.mount.mountpoint}", c.mounted, c.run_mount,
                "isc's fstab line for the mount point, and the filesystem mounted there")


def _multipath_only(c: Connection, run: Callable[[Tools], Done], otherwise: str) -> Callable[[Tools], Done]:
    """A step for targets with several portals; which kind of target this is, the records tell."""
    def step(t: Tools) -> Done:
        if not c.nodes():
            raise NotFoundError(f"no node record for {c.req.target or 'the target'} yet")
        return run(t) if c.multipathed() else Done(otherwise)
    return step


def connect(*, root: Root, engine: Engine, req: ConnectRequest, dry_run: bool,
            command: str) -> tuple[PlanReport, Summary]:
    root.require_live("connect (it discovers, logs in and mounts)")
    if req.chap is not None:
        req.chap.settings()  # bad credentials are refused before anything runs
    c = Connection(root, req)
    report = engine.execute(connect_steps(c), dry_run=dry_run, command=command)
    return report, c.summary()
