"""isc apply FILE: the plan engine driven by a desired state, the ``isc config dump`` document.

The document's records, settings, boot login and CHAP are converged by ``config restore`` (one step); its
records marked ``login = true`` by connect's login and multipath steps, its ``[[mounts]]`` by connect's
mount step (``mkfs = true`` allows a new filesystem). Nothing the document does not name is removed,
unless ``prune``: then the targets it does not name are disconnected and forgotten, shown in the plan first.
"""

from __future__ import annotations

from iscsi_client.model import Iqn
from iscsi_client.ops.config import Secrets, restore
from iscsi_client.ops.connect import Connection, ConnectRequest, MountRequest, mount_step, session_steps
from iscsi_client.ops.disconnect import Disconnection, DisconnectRequest, disconnect_steps
from iscsi_client.ops.plan import Done, Engine, PlanReport, Step, Tools
from iscsi_client.parsers import config_doc
from iscsi_client.startup_mode import Startup
from iscsi_client.system import nodedb
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root


def _records_step(root: Root, doc: config_doc.ConfigDoc, secrets: Secrets, *, with_initiator: bool,
                  allow_long: bool) -> Step:
    def pending() -> list[str]:
        dry = Iscsiadm(root, dry_run=True)
        return restore(root=root, adm=dry, doc=doc, secrets=secrets, with_initiator=with_initiator,
                       allow_long=allow_long).steps

    def run(t: Tools) -> Done:
        r = restore(root=root, adm=t.adm, doc=doc, secrets=secrets, with_initiator=with_initiator,
                    allow_long=allow_long)
        left = f"; left for you: {'; '.join(r.skipped)}" if r.skipped else ""
        return Done(("; ".join(r.steps) or "nothing to change") + left)

    return Step("records", "ifaces, discovery records, node records, settings, boot login, CHAP",
                lambda: not pending(), run, "what 'isc config restore' of the document would change is nothing")


def apply_steps(root: Root, doc: config_doc.ConfigDoc, secrets: Secrets, *, prune: bool = False,
                with_initiator: bool = False, allow_long: bool = False, wait_timeout: float = 30.0) -> list[Step]:
    steps = [_records_step(root, doc, secrets, with_initiator=with_initiator, allow_long=allow_long)]
    wanted = sorted({str(n.target) for n in doc.nodes if n.login})
    mounts = {m.target: m for m in doc.mounts}
    for t in wanted:
        c = Connection(root, ConnectRequest((), Iqn.parse(t), startup=Startup.MANUAL, wait_timeout=wait_timeout,
                                            mount=_mount(mounts.get(t))))
        steps += session_steps(c, prefix=f"{t}: ")
    for m in doc.mounts:
        if m.target not in wanted:  # a mount needs its target logged in: connect's mount step says so
            c = Connection(root, ConnectRequest((), Iqn.parse(m.target), mount=_mount(m), wait_timeout=wait_timeout))
            steps.append(mount_step(c, prefix=f"{m.target}: "))
    if prune:
        named = {str(n.target) for n in doc.nodes}
        for t in sorted({str(n.target) for n in nodedb.read_nodes(root)} - named):
            d = Disconnection(root, DisconnectRequest(Iqn.parse(t), forget=True))
            steps += disconnect_steps(d, prefix=f"prune {t}: ")
    return steps


def _mount(m: config_doc.MountEntry | None) -> MountRequest | None:
    if m is None:
        return None
    extra = ",".join(o for o in m.options.split(",") if o and o not in ("_netdev", "nofail")) or None
    return MountRequest(m.mountpoint, m.lun, m.mkfs, m.fstype, extra)


def apply(*, root: Root, engine: Engine, doc: config_doc.ConfigDoc, secrets: Secrets, dry_run: bool, command: str,
          prune: bool = False, with_initiator: bool = False, allow_long: bool = False,
          wait_timeout: float = 30.0) -> PlanReport:
    root.require_live("apply (it logs in and mounts; 'isc config restore' edits an image's records)")
    steps = apply_steps(root, doc, secrets, prune=prune, with_initiator=with_initiator, allow_long=allow_long,
                        wait_timeout=wait_timeout)
    return engine.execute(steps, dry_run=dry_run, command=command)
