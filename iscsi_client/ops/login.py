"""Login and logout, idempotent, one iscsiadm exec per portal, an outcome per portal."""

from __future__ import annotations

from iscsi_client.errors import IscError, IscsiadmError
from iscsi_client.model import Iqn, Node, Portal, Session
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.ops.outcome import Outcome
from iscsi_client.system import initiator_file, sysfs
from iscsi_client.system.iscsiadm import Iscsiadm, node_selector
from iscsi_client.system.root import Root


def _same(s: Session, n: Node) -> bool:
    return s.target == n.target and s.portal.host == n.portal.host and s.portal.port == n.portal.port


def login(*, root: Root, adm: Iscsiadm, target: Iqn | None, portal: Portal | None,
          all_nodes: bool = False) -> list[Outcome]:
    nodes = select_nodes(root=root, target=target, portal=portal, all_nodes=all_nodes)
    sessions = sysfs.read_sessions(root)
    outcomes: list[Outcome] = []
    for n in nodes:
        if any(_same(s, n) for s in sessions):
            outcomes.append(Outcome(str(n.target), n.portal.address, "already", "already logged in"))
            continue
        try:
            result = adm.run([*node_selector(n.target, n.portal.without_tpgt(), n.iface), "--login"],
                             mutating=True, action=f"login to {n.target} on {n.portal.address}", ok=(0, 15))
        except IscsiadmError as e:
            outcomes.append(Outcome(str(n.target), n.portal.address, "failed", e.message, _explain(root, e, n)))
            continue
        if result.dry_run:
            outcomes.append(Outcome(str(n.target), n.portal.address, "would", "would log in"))
        elif result.rc == 15:
            outcomes.append(Outcome(str(n.target), n.portal.address, "already", "already logged in"))
        else:
            outcomes.append(Outcome(str(n.target), n.portal.address, "done", "logged in"))
    return outcomes


def _explain(root: Root, e: IscsiadmError, n: Node) -> IscError:
    """Add what the user needs to fix a refused login: the initiator name the target saw, the CHAP state."""
    if e.rc == 24:
        name, _ = initiator_file.read_initiator(root)
        chap = "CHAP is not set on this record" if n.chap.method != "CHAP" else \
            f"CHAP user {n.chap.username!r} is set on this record"
        e.hint = (f"{chap}; set or fix it with 'isc chap {n.target} --user NAME'. Also check that the target "
                  f"has an ACL for this initiator name: {name or '(none set)'}")
    return e


def logout(*, root: Root, adm: Iscsiadm, target: Iqn | None, portal: Portal | None,
           all_sessions: bool = False) -> list[Outcome]:
    sessions = sysfs.read_sessions(root)
    if target is not None:
        sessions = [s for s in sessions if s.target == target]
    elif not all_sessions:
        from iscsi_client.errors import UsageError

        raise UsageError("no target given", hint="name a target, or use --all to log out of every session")
    if portal is not None:
        sessions = [s for s in sessions if s.portal.host == portal.host and s.portal.port == portal.port]
    if not sessions:
        what = str(target) if target else "any target"
        where = f" on {portal.address}" if portal else ""
        return [Outcome(what, portal.address if portal else "-", "already", f"no session to {what}{where}")]
    outcomes: list[Outcome] = []
    for s in sessions:
        try:
            result = adm.run([*node_selector(s.target, s.portal.without_tpgt(), s.iface), "--logout"],
                             mutating=True, action=f"logout from {s.target} on {s.portal.address}", ok=(0, 21))
        except IscsiadmError as e:
            outcomes.append(Outcome(str(s.target), s.portal.address, "failed", e.message, e))
            continue
        status = "would" if result.dry_run else ("already" if result.rc == 21 else "done")
        detail = {"would": "would log out", "already": "no session", "done": "logged out"}[status]
        outcomes.append(Outcome(str(s.target), s.portal.address, status, detail))
    return outcomes


def list_sessions(*, root: Root) -> list[Session]:
    return sysfs.read_sessions(root)
