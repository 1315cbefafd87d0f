"""isc disconnect: connect in reverse, in the safe order, as a plan built from isc's own operations.

unpersist its filesystems -> tear down (flush maps and buffers) and log out on every portal (the SCSI devices go
with the sessions) ->
node.startup manual -> unregister its WWIDs -> with --forget, delete its records (and a discovery record
that nothing else came through).
"""

from __future__ import annotations

from iscsi_client.errors import IscError
from iscsi_client.model import Iqn
from iscsi_client.ops.discover import discovered_through, forget_discovery, linked_nodes
from iscsi_client.ops.logout import logout
from iscsi_client.ops.nodes import delete_nodes
from iscsi_client.ops.persist import unpersist
from iscsi_client.ops.plan import Done, Engine, PlanReport, Step, Tools
from iscsi_client.ops.startup import set_startup
from iscsi_client.parsers import fstab as fstab_text
from iscsi_client.records import record
from iscsi_client.startup_mode import Startup
from iscsi_client.system import blockdev, multipath, nodedb, sysfs
from iscsi_client.system import fstab as fstab_file
from iscsi_client.system.root import Root


@record
class DisconnectRequest:
    target: Iqn
    forget: bool = False


class Disconnection:
    def __init__(self, root: Root, req: DisconnectRequest) -> None:
        self.root = root
        self.target = req.target
        self.req = req
        # the WWIDs are known only while the LUNs are there: read them before anything is torn down
        self.wwids = sorted({lun.disk.wwid for v in blockdev.session_views(root) if v.session.target == req.target
                             for lun in v.luns if lun.disk is not None and lun.disk.wwid})
        # the discovery portals its records came through, for --forget
        self.portals = sorted({a for n, rec in nodedb.read_records(root, target=req.target)
                               if (a := discovered_through(rec)) is not None})
        self.owned = set(self.mountpoints())  # isc's own mounts of the target: the first step removes them

    def mountpoints(self) -> list[str]:
        return [e.mountpoint for t, _, e in fstab_text.owned_entries(fstab_file.read_fstab(self.root))
                if t == str(self.target)]

    def sessions(self) -> list[int]:
        return [s.sid for s in sysfs.read_sessions(self.root) if s.target == self.target]

    def startup_manual(self) -> bool:
        return all(n.startup == Startup.MANUAL.value for n in nodedb.read_nodes(self.root, target=self.target))

    def unregistered(self) -> bool:
        return not set(self.wwids) & multipath.registered_wwids(self.root)

    def forgotten(self) -> bool:
        return not nodedb.read_nodes(self.root, target=self.target)

    def run_unpersist(self, t: Tools) -> Done:
        mountpoints, lines = self.mountpoints(), []
        for mp in mountpoints:
            r = unpersist(root=self.root, adm=t.adm, cmd=t.cmd, mountpoint=mp)
            lines.append(f"-{r.entry}\n")
        return Done(f"{'would unmount and remove' if t.dry_run else 'unmounted and removed'} {', '.join(mountpoints)}",
                    diff="".join(lines))

    def run_logout(self, t: Tools) -> Done:
        # unmount only what the first step unpersists anyway; any other mount of its devices is refused
        mounted = {mp for v in blockdev.session_views(self.root) if v.session.target == self.target
                   for lun in v.luns for d in (lun.map, *(lun.disk.with_partitions() if lun.disk else ()))
                   if d is not None for mp in d.mountpoints}
        outcomes = logout(root=self.root, adm=t.adm, target=self.target, portal=None, teardown=True,
                          unmount=bool(mounted) and mounted <= self.owned, cmd=t.cmd)
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            raise failed[0].error or IscError(failed[0].detail)
        steps = list(dict.fromkeys(s for o in outcomes for s in o.steps))
        portals = ", ".join(o.portal for o in outcomes)
        return Done(f"{'would log out' if t.dry_run else 'logged out'} on {portals}"
                    + (f" ({'; '.join(steps)})" if steps else ""))

    def run_startup(self, t: Tools) -> Done:
        set_startup(root=self.root, adm=t.adm, target=self.target, portal=None, mode=Startup.MANUAL)
        return Done("node.startup manual on every record")

    def run_unregister(self, t: Tools) -> Done:
        registered = multipath.registered_wwids(self.root)
        gone = [w for w in self.wwids if w in registered]
        for wwid in gone:
            multipath.unregister(t.cmd, wwid)
        return Done(f"{'would remove' if t.dry_run else 'removed'} WWID {', '.join(gone)} from "
                    f"{multipath.WWIDS}")

    def run_forget(self, t: Tools) -> Done:
        delete_nodes(root=self.root, adm=t.adm, target=self.target, portal=None)
        done = [f"deleted the records of {self.target}"]
        for addr in self.portals:
            others = [n for n in linked_nodes(self.root, addr) if n.target != self.target]
            if not others:
                from iscsi_client.model import Portal

                forget_discovery(root=self.root, adm=t.adm, portal=Portal.parse(addr))
                done.append(f"the discovery record of {addr}")
        return Done(" and ".join(done))


def disconnect_steps(d: Disconnection, *, prefix: str = "") -> list[Step]:
    steps = [
        Step(f"{prefix}unpersist", f"isc's fstab lines for {d.target}", lambda: not d.mountpoints(), d.run_unpersist,
             "no fstab line of isc names this target (each unmounted first)"),
        Step(f"{prefix}logout", "tear down and log out on every portal", lambda: not d.sessions(), d.run_logout,
             "no session to the target (maps and buffers flushed first)"),
        Step(f"{prefix}startup", "node.startup manual", d.startup_manual, d.run_startup,
             "no record logs in at boot"),
        Step(f"{prefix}wwids", "multipath WWID registration", d.unregistered, d.run_unregister,
             f"{', '.join(d.wwids) or 'its LUNs'} not in {multipath.WWIDS}"),
    ]
    if d.req.forget:
        steps.append(Step(f"{prefix}forget", f"node records of {d.target}", d.forgotten, d.run_forget,
                          "no node record of the target (nor a discovery record only it used)"))
    return steps


def disconnect(*, root: Root, engine: Engine, req: DisconnectRequest, dry_run: bool, command: str) -> PlanReport:
    root.require_live("disconnect (it unmounts, tears down and logs out)")
    return engine.execute(disconnect_steps(Disconnection(root, req)), dry_run=dry_run, command=command)
