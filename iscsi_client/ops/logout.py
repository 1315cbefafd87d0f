"""Logging out: one session, a target, an iface or all of them, refusing while a disk is in use unless asked
to tear down first (unmount, flush the maps, then log out), and the boot firmware's sessions unless forced.
Apart from ops/login.py: a login has no use for the teardown's checks and steps, nor they for the login's."""

from __future__ import annotations

from iscsi_client import fanout
from iscsi_client.errors import IscsiadmError, UsageError
from iscsi_client.fanout import IN_FLIGHT
from iscsi_client.kernel_model import Session
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops import startup
from iscsi_client.ops.login_batches import logout_batches, logout_results
from iscsi_client.ops.outcome import Outcome
from iscsi_client.ops.status import select_sessions
from iscsi_client.ops.teardown import check_free
from iscsi_client.ops.teardown import teardown as teardown_sessions
from iscsi_client.system import blockdev, sysfs
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Completed, Iscsiadm
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Sequence


def logout(*, root: Root, adm: Iscsiadm, target: Iqn | None, portal: Portal | None,
           all_sessions: bool = False, teardown: bool = False, unmount: bool = False,
           cmd: Commands | None = None, sids: Sequence[int] = (), iface: str | None = None,
           force: bool = False, keep_startup: bool = False) -> list[Outcome]:
    """Log out, refusing while a disk of the session is mounted, open or held, unless ``teardown``, and
    refusing the boot firmware's sessions (iBFT: the host may run from that LUN) unless ``force``.
    ``sids`` selects sessions by id (``iscsiadm -m session -r SID``), alone or narrowed by target/portal.
    A teardown sets node.startup manual (the target stays away at boot) unless ``keep_startup``: a path
    that leaves only to log in again (isc tune --relogin)."""
    if target is None and not all_sessions and not sids and iface is None:
        raise UsageError("no target given",
                         hint="name a target, a session id (--sid) or an iface (-I), or use --all to log out of "
                              "every session")
    # brief: a logout needs the sessions' names and places, their disks, maps, holders and mounts, not their
    # states or the LUNs' SCSI details (half the reads before a teardown's first exec)
    every = sysfs.read_sessions(root, brief=True)
    sessions = select_sessions(every, sids=sids, target=target, portal=portal, iface=iface)
    if not sessions:
        what = str(target) if target else "any target"
        where = f" on {portal.address}" if portal else ""
        ids = f" with id {', '.join(map(str, sids))}" if sids else ""
        return [Outcome(what, portal.address if portal else "-", "already", f"no session{ids} to {what}{where}")]
    if not force:
        from iscsi_client.ops.firmware import refuse_firmware_sessions

        refuse_firmware_sessions(root, sessions)
    views = blockdev.session_views(root, sessions, brief=True)
    leaving = sorted({s.target for s in sessions}, key=str)
    # A teardown sets node.startup manual: which records differ is read while the maps flush (reading them
    # beside a 64-session logout slowed it by up to 0.4 s in the TCG lab guest, its two CPUs busy with
    # iscsid, udev and the kernel); only records that differ are written, beside the logout
    todo: list[tuple[list[Iqn], bool]] = []

    def read_startup() -> None:
        todo.append(startup.startup_todo(root, leaving, "manual"))

    steps: list[str] = []
    if teardown:
        assert cmd is not None
        steps = teardown_sessions(root, cmd, views, every, unmount=unmount,
                                  meanwhile=None if keep_startup else read_startup)
    else:
        check_free(root, views)
    # By id when ids were given: exactly that session, even if another one shares target and portal.
    batches = logout_batches(sessions, every, by_sid=bool(sids))

    def log_out() -> list[Completed | IscsiadmError]:
        return adm.run_each([b.call for b in batches], parallel=IN_FLIGHT)

    def startup_manual() -> list[Iqn]:
        return startup.set_startup_of_targets(root=root, adm=adm, targets=leaving, mode="manual",
                                              todo=todo[0] if todo else None)

    manual: list[Iqn] = []
    setting = teardown and not keep_startup
    if not setting or (todo and not todo[0][0]):  # nothing to set, or every record is manual already
        results = log_out()
    elif not adm.dry_run and root.is_live:
        # the records' update beside the logout, under one hold of the lock (its threads share it); the
        # logout is started first, here. The records turn manual whatever each logout's outcome.
        with adm.lock():
            manual, results = fanout.beside(startup_manual, log_out)
    else:  # a dry run shows the update after the logout
        results = log_out()
        manual = startup_manual()
    got: dict[int, tuple[str, str, IscsiadmError | None]] = {}
    for batch, result in zip(batches, results, strict=True):
        for s, res in zip(batch.members, logout_results(batch, result), strict=True):
            assert isinstance(s, Session)
            got[s.sid] = res
    outcomes: list[Outcome] = []
    for s in sessions:
        status, detail, error = got[s.sid]
        outcomes.append(Outcome(str(s.target), s.portal.address, status, detail, error,
                                sid=None if status == "failed" else s.sid, iface=s.iface))
    if teardown and not adm.dry_run:  # a dry run did none of these: its "would run:" lines list them
        steps += [f"node.startup manual for {t}" for t in manual]
        outcomes = [Outcome(o.target, o.portal, o.status, o.detail, o.error, o.devices, o.sid, tuple(steps),
                            o.iface) for o in outcomes]
    return outcomes
