"""isc tune --relogin: the new record values reach live sessions only at their next login, so this plan
writes the records, then logs each path out and in again, one at a time.

Steps: ``settings`` (the records hold the values), then one ``relogin`` step per record with sessions
(portal and iface). A path of a multipath map leaves the map first (teardown of that path only: the map
stays mounted and in use on its other paths), logs out, logs in, and the step waits until the map has as
many working paths as before, so I/O on the map never stops. A LUN reached on this path only would lose
its disk: that is refused unless ``disruptive`` (and then still refused while it is mounted or held).

Each relogin step is satisfied when every session of its record runs with the values wanted (what the
kernel reports in sysfs: can_queue, each disk's queue_depth, NOP-Out timers, digests, session count)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from iscsi_client.errors import IscError, UsageError
from iscsi_client.kernel_model import SessionView
from iscsi_client.model import Node
from iscsi_client.ops.login import login_nodes
from iscsi_client.ops.logout import logout
from iscsi_client.ops.plan import Done, Engine, PlanReport, Step, Tools
from iscsi_client.ops.tunables import BY_NAME
from iscsi_client.ops.tune import TuneView, live_values, target_views, write_proposals
from iscsi_client.system import multipath
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

#: tunables whose live value must equal the record's after a login (others are overridden or login-only)
COMPARED = ("cmds_max", "queue_depth", "nr_sessions", "noop_out_interval", "noop_out_timeout")


def _mine(n: Node, views: Sequence[SessionView]) -> list[SessionView]:
    return [v for v in views if v.session.target == n.target and v.session.portal.same_address(n.portal)
            and v.session.iface == n.iface]


def _healthy_paths(cmd: Commands, wwids: set[str]) -> dict[str, set[str]]:
    """Map WWID -> its working path devices, as multipathd reports them now."""
    return {m.wwid: {p.dev for p in m.paths if p.healthy} for m in multipath.show_maps(cmd) if m.wwid in wwids}


class Rolling:
    """The facts the steps read (fresh each time) and their runs."""

    def __init__(self, root: Root, view: TuneView, *, disruptive: bool, timeout: float,
                 progress: Callable[[str], None] | None) -> None:
        self.root, self.view, self.disruptive, self.timeout, self.progress = root, view, disruptive, timeout, progress
        wanted = {r.name: r.proposed or r.record for r in view.rows if r.setting}
        self.wanted = {k: v for k, v in wanted.items() if k in COMPARED and "/" not in v and v != "-"}

    def settings_hold(self) -> bool:
        return not write_proposals_needed(self.root, self.view)

    def run_settings(self, t: Tools) -> Done:
        result = write_proposals(root=self.root, adm=t.adm, view=self.view)
        names = ", ".join(f"{BY_NAME[setting].name}={value}" for setting, value in result.written)
        changed = len(result.settings.changed) if result.settings else 0
        return Done(f"{names} on {changed} record(s)")

    def path_runs_wanted(self, n: Node) -> Callable[[], bool]:
        def check() -> bool:
            views = _mine(n, target_views(self.root, n.target))
            if not views:
                return True  # no session: its next login takes the record's values
            live = live_values(self.root, [n], views)
            return all(set(live.get(name, [value])) == {value} for name, value in self.wanted.items())
        return check

    def path_relogin(self, n: Node) -> Callable[[Tools], Done]:
        def run(t: Tools) -> Done:
            views = _mine(n, target_views(self.root, n.target))
            path = f"{n.portal.address}" + (f" (iface {n.iface})" if n.iface != "default" else "")
            if not views:
                return Done(f"{path}: no session")
            disks = {lun.disk.name for v in views for lun in v.luns if lun.disk is not None}
            wwids = {lun.map.wwid for v in views for lun in v.luns if lun.map is not None and lun.map.wwid}
            if not self.disruptive:
                refuse_single_paths(views, path)
            before = _healthy_paths(t.cmd, wwids) if wwids and not t.dry_run else {}
            alone = sorted(w for w, devs in before.items() if not devs - disks)
            if alone:
                raise IscError(f"map {', '.join(alone)} has no working path besides {path}: logging it out would "
                               "stop I/O on the map", hint="'isc multipath status' shows the paths; bring the "
                                                           "others back first")
            if self.progress and not t.dry_run:
                self.progress(f"{path}: logging out and in again")
            started = time.monotonic()
            logout(root=self.root, adm=t.adm, target=n.target, portal=n.portal, iface=n.iface, teardown=True,
                   cmd=t.cmd, keep_startup=True)
            outcomes = login_nodes(root=self.root, adm=t.adm, nodes=[n], cmd=t.cmd, wait_timeout=self.timeout,
                                   progress=self.progress)
            failed = [o.error for o in outcomes if o.error is not None]
            if failed:
                raise failed[0]
            if t.dry_run:
                return Done(f"{path}: would log out and in again" + (", one map path at a time" if wwids else ""))
            back = self._wait_for_paths(t.cmd, before)
            # the udev rules of the new path (multipath -u probing the map's paths) still run: the next
            # path's teardown would find its disk open by them (seen in CI), so start it from a quiet udev
            t.cmd.run(["udevadm", "settle", "--timeout=30"], mutating=False, action="waiting for udev", ok=(0, 1))
            return Done(f"{path}: logged in again in {time.monotonic() - started:.1f} s{back}")
        return run

    def _wait_for_paths(self, cmd: Commands, before: dict[str, set[str]]) -> str:
        """Until every map has as many working paths as before the logout (the new devices have other names)."""
        if not before:
            return ""
        deadline = time.monotonic() + self.timeout
        while True:
            now = _healthy_paths(cmd, set(before))
            short = {w: (len(now.get(w, ())), len(devs)) for w, devs in before.items()
                     if len(now.get(w, ())) < len(devs)}
            if not short:
                counts = ", ".join(f"{w} {len(now[w])} ({len(before[w])} before)" for w in sorted(before))
                return f"; working paths of the map: {counts}"
            if time.monotonic() > deadline:
                listed = ", ".join(f"{w} has {a} of {b}" for w, (a, b) in sorted(short.items()))
                raise IscError(f"the map did not get its path back within {self.timeout:.0f} s: {listed}",
                               hint="'isc multipath status' and 'isc doctor' show the path; the next steps were "
                                    "not run, so the other paths keep the map working")
            if self.progress:
                self.progress("waiting for multipathd to use the path again")
            time.sleep(0.5)


def refuse_single_paths(views: Sequence[SessionView], path: str) -> None:
    """A LUN of these sessions that no multipath map holds loses its disk while the path logs in again."""
    unmapped = sorted(lun.disk.devnode for v in views for lun in v.luns
                      if lun.disk is not None and lun.map is None and lun.holds_data)
    if unmapped:
        raise UsageError(f"{', '.join(unmapped)} on {path} is not under a multipath map: logging this path out "
                         "takes the disk away until it logs in again",
                         hint="stop what uses it and add --disruptive, or set up multipath first "
                              "(isc multipath config --write)")


def write_proposals_needed(root: Root, view: TuneView) -> bool:
    """Some record of the target does not hold a proposed value yet (read again: the records may have changed
    since the view was made)."""
    from iscsi_client.system import nodedb

    wanted = view.proposals
    return any(rec.get(name) != value for _, rec in nodedb.read_records(root, target=view.target)
               for name, value in wanted.items())


def relogin_steps(r: Rolling) -> list[Step]:
    view = r.view
    steps = [Step("settings", f"record settings of {view.target}", r.settings_hold, r.run_settings,
                  "every record holds the proposed values")]
    for n in view.nodes:
        where = n.portal.address + (f" iface {n.iface}" if n.iface != "default" else "")
        steps.append(Step(f"relogin {where}", f"sessions on {where} use the record's values", r.path_runs_wanted(n),
                          r.path_relogin(n), "sysfs: can_queue, each disk's queue_depth, NOP-Out timers, sessions"))
    return steps


def relogin(*, root: Root, engine: Engine, view: TuneView, disruptive: bool, dry_run: bool, timeout: float,
            command: str, progress: Callable[[str], None] | None = None) -> PlanReport:
    root.require_live("tune --relogin (it logs sessions out and in)")
    if not disruptive:  # refused before the records change, not after
        views = target_views(root, view.target)
        for n in view.nodes:
            refuse_single_paths(_mine(n, views), n.portal.address)
    rolling = Rolling(root, view, disruptive=disruptive, timeout=timeout, progress=progress)
    return engine.execute(relogin_steps(rolling), dry_run=dry_run, command=command)
