"""Login, idempotent, one iscsiadm exec per portal (several at once), an outcome per portal, returning once the
sessions' devices exist (logout: ops/logout.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from iscsi_client import fanout, preload, records
from iscsi_client.errors import EXIT_NOT_FOUND, EXIT_UNREACHABLE, IscError, IscsiadmError, NotFoundError
from iscsi_client.kernel_model import Session
from iscsi_client.model import Iqn, Node, Portal
from iscsi_client.ops.login_batches import login_batches, login_results
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.ops.outcome import Outcome
from iscsi_client.system import blockdev, initiator_file, nodedb, sysfs
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.lock import NotHeld
from iscsi_client.system.root import Root
from iscsi_client.system.udev_wait import DeviceWaiter, scan_hosts

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.ops.discover import Found


def _same(s: Session, n: Node) -> bool:
    """The session of this record: one portal reached through two ifaces has a session for each."""
    return s.target == n.target and s.portal.same_address(n.portal) and s.iface == n.iface


def login(*, root: Root, adm: Iscsiadm, target: Iqn | None, portal: Portal | None,
          all_nodes: bool = False, wait: bool = True, wait_timeout: float = 30.0,
          progress: Callable[[str], None] | None = None, iface: str | None = None,
          cmd: Commands | None = None, parallel: int = fanout.IN_FLIGHT) -> list[Outcome]:
    """Log in to every selected record (of one iface, if given) that has no session yet; then, unless
    ``wait`` is False, wait for the block devices of the new sessions (udev events, a deadline) and
    report them. With ``cmd``, LUNs that got several paths are registered for multipath where isc's
    drop-in is installed."""
    nodes = select_nodes(root=root, target=target, portal=portal, all_nodes=all_nodes)
    if iface is not None:
        nodes = [n for n in nodes if n.iface == iface]
        if not nodes:
            raise NotFoundError(f"no record of {target or 'any target'} uses iface {iface}",
                                hint=f"'isc nodes' lists records and their ifaces; add one with "
                                     f"isc discover PORTAL -I {iface}")
    return login_nodes(root=root, adm=adm, nodes=nodes, wait=wait, wait_timeout=wait_timeout, progress=progress,
                       cmd=cmd, parallel=parallel)


def login_discovered(*, root: Root, adm: Iscsiadm, found: Sequence[Found], targets: Sequence[Iqn] = (),
                     iface: str | None = None, wait: bool = True, wait_timeout: float = 30.0,
                     progress: Callable[[str], None] | None = None, cmd: Commands | None = None,
                     parallel: int = fanout.IN_FLIGHT) -> list[Outcome]:
    """``isc discover --login``: log in to what a discovery just answered (every target, or only
    ``targets``), on every portal it has a record for, the way ``iscsiadm -m discovery ... --login`` does:
    through ``iface`` when the discovery went through one, else through every iface that has a record.
    Portals the discovery flagged and did not keep a record for are not used."""
    wanted = {str(t) for t in targets}
    answered = {str(f.target) for f in found}
    missing = sorted(wanted - answered)
    if missing:
        raise NotFoundError(f"the discovery did not return {', '.join(missing)}",
                            hint="the table above lists what the portal offers; check the name, or the "
                                 "target's portal group and discovery settings")
    keep = [f for f in found if f.record in ("new", "kept") and (not wanted or f.target in wanted)]
    nodes = [n for n in nodedb.read_nodes(root) if (iface is None or n.iface == iface)
             and any(str(n.target) == f.target and n.portal.same_address(f.portal) for f in keep)]
    if not nodes:
        return []
    return login_nodes(root=root, adm=adm, nodes=nodes, wait=wait, wait_timeout=wait_timeout, progress=progress,
                       cmd=cmd, parallel=parallel)


def login_nodes(*, root: Root, adm: Iscsiadm, nodes: list[Node], wait: bool = True, wait_timeout: float = 30.0,
                progress: Callable[[str], None] | None = None, cmd: Commands | None = None,
                parallel: int = fanout.IN_FLIGHT) -> list[Outcome]:
    """Log in to these records (those without a session yet) and wait for their devices unless told not to;
    then, with ``cmd``, register new multi-path LUNs for multipath (see register_after_login)."""
    waiter = DeviceWaiter(root) if wait and not adm.dry_run and root.is_live else None
    if waiter is not None and cmd:  # imported during the login's exec: the multipath step
        preload.queue("iscsi_client.ops.multipath_config", "iscsi_client.system.multipath")
    try:
        # the sessions are read under the lock: another isc that logged in meanwhile is seen, not raced
        with adm.lock() if not adm.dry_run and root.is_live else NotHeld():
            sessions = sysfs.read_sessions(root)
            outcomes = _login_all(root, adm, nodes, sessions, parallel)
        if waiter is not None and any(o.status == "done" for o in outcomes):
            manual = {(str(n.target), n.portal.address) for n in nodes if n.scan == "manual"}
            outcomes = wait_for_devices(root, waiter, outcomes, {s.sid for s in sessions}, wait_timeout, progress,
                                         manual)
            if cmd is not None:
                outcomes = _register_for_multipath(root, cmd, outcomes, waiter, wait_timeout, progress)
    finally:
        if waiter is not None:
            waiter.close()
    return outcomes


def _register_for_multipath(root: Root, cmd: Commands, outcomes: list[Outcome], waiter: DeviceWaiter,
                            timeout: float, progress: Callable[[str], None] | None) -> list[Outcome]:
    """Register new multi-path LUNs, then wait (same udev monitor) until multipathd has made their maps:
    after a login that says it registered a LUN, its map is there."""
    from iscsi_client.ops.multipath_config import register_after_login
    from iscsi_client.system.multipath import formed_maps

    registered = register_after_login(root=root, cmd=cmd)
    if not registered:
        return outcomes
    if progress:
        progress(f"waiting for multipathd to make {len(registered)} map(s)")
    step = f"registered WWID {', '.join(registered)} for multipath (isc's drop-in is installed)"
    if not waiter.wait(lambda: set(registered) <= formed_maps(root), timeout):
        late = sorted(set(registered) - formed_maps(root))
        if late:  # (the last map may have formed since the deadline)
            step += f"; no map for {', '.join(late)} within {timeout:.0f} s (see 'isc multipath status')"
    return [records.replace(o, steps=(*o.steps, step)) if o.status == "done" else o for o in outcomes]


def _login_all(root: Root, adm: Iscsiadm, nodes: list[Node], sessions: list[Session],
               parallel: int) -> list[Outcome]:
    """Log in to the records without a session in the fewest execs (ops/login_batches.py), ``parallel``
    execs at once under one hold of the host lock; an outcome per record, in the order of ``nodes``."""
    # a record asks for node.session.nr_sessions sessions; iscsiadm's login of it adds only the missing ones
    todo = [n for n in nodes if sum(_same(s, n) for s in sessions) < n.nr_sessions]
    batches = login_batches(todo, nodedb.read_nodes(root)) if todo else []
    got: dict[tuple[str, str, str], tuple[str, str, IscsiadmError | None]] = {}
    for batch, result in zip(batches, adm.run_each([b.call for b in batches], parallel=parallel), strict=True):
        for n, res in zip(batch.members, login_results(batch, result), strict=True):
            assert isinstance(n, Node)
            got[n.key] = res
    outcomes: list[Outcome] = []
    for n in nodes:
        down = next((s for s in sessions if _same(s, n) and s.state and s.state != "LOGGED_IN"), None)
        if n.key not in got and down is not None:
            outcomes.append(_not_logged_in(n, down))
            continue
        status, detail, error = got.get(n.key, ("already", "already logged in", None))
        outcomes.append(Outcome(str(n.target), n.portal.address, status, detail,
                                _explain(root, error, n) if error else None, iface=n.iface))
    return outcomes


def _not_logged_in(n: Node, s: Session) -> Outcome:
    """The record has a session, but not a logged-in one: iscsid is still making a first login (it retries
    a target that drops or refuses it, for Node.login_window) or reconnecting a session that lost its
    connection. Neither is "already logged in"; a second login would only be refused (iscsiadm 15)."""
    err = IscError(f"login to {n.target} on {n.portal.address}: session {s.sid} exists but is {s.state} "
                   f"(connection {s.connection_state or 'unknown'}), not logged in: iscsid is still trying to log "
                   "in or to reconnect", exit_code=EXIT_UNREACHABLE,
                   hint="'isc status' shows it and 'isc doctor' checks the path; the session logs in by itself "
                        "once the target answers, and a first login that never succeeds is dropped by iscsid "
                        f"after about {n.login_window:.0f} s (initial_login_retry_max x login_timeout)")
    return Outcome(str(n.target), n.portal.address, "failed", err.message, err, sid=s.sid, iface=n.iface)


def devices_ready(root: Root, sessions: list[Session], *, need_lun: bool = True) -> bool:
    """Every LUN of these sessions that holds data has its block device, known to udev (links and properties
    exist); a controller LUN (tgt's LUN 0) never gets one. ``need_lun``: a session without any LUN is not
    ready yet (a fresh login; LUN 0 is on its way)."""
    no_mounts: dict[str, tuple[str, ...]] = {}  # readiness does not depend on mounts: skip mountinfo
    for s in sessions:
        luns = blockdev.session_luns(root, s, no_mounts)
        if need_lun and not luns:
            return False
        if any(lun.disk is None and lun.holds_data or
               lun.disk is not None and not blockdev.udev_initialized(root, lun.disk.major_minor) for lun in luns):
            return False
    return True


_SESSION_IN_PATH = r"/session(\d+)/"


def _sid_of(sys_path: str) -> int | None:
    """The session a block device event belongs to: .../host3/session2/target3:0:0/3:0:0:0/block/sdb -> 2."""
    m = re.search(_SESSION_IN_PATH, sys_path)
    return int(m.group(1)) if m else None


def wait_for_devices(root: Root, waiter: DeviceWaiter, outcomes: list[Outcome], before: set[int],
                      timeout: float, progress: Callable[[str], None] | None,
                      manual_scan: set[tuple[str, str]]) -> list[Outcome]:
    """Scan the new sessions' hosts (all at once) and wait for their LUNs, each session looked at again only
    when udev reports one of its devices. Records with node.session.scan = manual are left alone: the admin
    asked the kernel not to scan them, so there is nothing to wait for."""
    fresh = [s for s in sysfs.read_sessions(root) if s.sid not in before]
    unscanned = [s for s in fresh if (str(s.target), s.portal.address) in manual_scan]
    new = [s for s in fresh if s not in unscanned]
    scan_hosts(root, [s.host for s in new if s.host is not None], parallel=fanout.IN_FLIGHT)

    if progress:
        progress(f"waiting for the block devices of {len(new)} new session(s)")
    by_sid = {s.sid: s for s in new}
    late = waiter.wait_each(by_sid, lambda sid: devices_ready(root, [by_sid[sid]]), _sid_of, timeout)

    def key(target: str, portal: str, iface: str | None) -> tuple[str, str, str | None]:
        return target, portal, iface

    skipped = {key(str(s.target), s.portal.address, s.iface): s for s in unscanned}
    mine = {key(str(s.target), s.portal.address, s.iface): s for s in new}
    result: list[Outcome] = []
    for o in outcomes:
        k = key(o.target, o.portal, o.iface)
        if o.status == "done" and k in skipped:
            result.append(Outcome(o.target, o.portal, "done", "logged in; node.session.scan is manual, so LUNs "
                                  "were not scanned (isc rescan)", sid=skipped[k].sid, iface=o.iface))
            continue
        s = mine.get(k)
        if o.status != "done" or s is None:
            result.append(o)
            continue
        devices = tuple(lun.disk.devnode for lun in blockdev.session_luns(root, s) if lun.disk is not None)
        if s.sid not in late or devices:
            result.append(Outcome(o.target, o.portal, "done", "logged in", devices=devices, sid=s.sid,
                                  iface=o.iface))
        else:
            err = IscError(f"logged in to {o.target} on {o.portal} (session {s.sid}), but no LUN appeared "
                           f"within {timeout:.0f} s",
                           hint="check that the target maps a LUN to this initiator's ACL; 'isc status' shows "
                                "what the kernel sees", exit_code=EXIT_NOT_FOUND)
            result.append(Outcome(o.target, o.portal, "failed", err.message, err, sid=s.sid, iface=o.iface))
    return result


def _explain(root: Root, e: IscsiadmError, n: Node) -> IscError:
    """Add what the user needs to fix a refused login: the initiator name the target saw, the CHAP state."""
    if e.rc == 24:
        name, _ = initiator_file.read_initiator(root)
        chap = "CHAP is not set on this record" if n.chap.method != "CHAP" else \
            f"CHAP user {n.chap.username!r} is set on this record"
        e.hint = (f"{chap}; set or fix it with 'isc chap {n.target} --user NAME'. Also check that the target "
                  f"has an ACL for this initiator name: {name or '(none set)'}")
    elif e.rc == 19:
        # A non-retryable refusal: LIO and tgt both give it when the target's mutual CHAP answer is wrong;
        # tgt also gives it (login status 02/03, "target not found") to an initiator its ACL does not admit,
        # where LIO refuses with an authorization error (24).
        name, _ = initiator_file.read_initiator(root)
        acl = (f"check the target name, that the target exports it on this portal, and that its ACL admits this "
               f"initiator (name {name or '(none set)'}, or the address it connects from): tgt refuses an "
               f"initiator it does not admit this way")
        if n.chap.username_in:
            e.hint = (f"this record asks the target to prove itself (mutual CHAP, target user "
                      f"{n.chap.username_in!r}) and the target's answer may not match: fix it with 'isc chap "
                      f"{n.target} --user NAME --mutual-user NAME'. Otherwise {acl}")
        elif n.chap.method == "CHAP":
            e.hint = (f"this record offers CHAP (user {n.chap.username!r}); a target that does not use CHAP "
                      f"rejects such a login: if so, 'isc chap {n.target} --clear'. Otherwise {acl}")
        else:
            e.hint = acl[0].upper() + acl[1:]
    return e
