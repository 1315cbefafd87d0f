"""The only place that runs iscsiadm.

- Runs it through ``sh`` with ``LC_ALL=C`` and a timeout.
- Holds a host-wide lock (flock on /run/lock/isc.lock) around commands that change state: concurrent
  iscsiadm runs race (duplicate sessions, lost record updates). A process that must wait says for whom.
- Reports each command to an observer before it runs (``-v``) or instead of running it (``--dry-run``),
  with CHAP secrets masked. Secrets never reach iscsiadm's argv: an update runs with a one-time placeholder
  that isc then replaces in the record files under open-iscsi's lock (system/record_secrets.py).
"""

from __future__ import annotations

import _thread  # threading's own primitive: threading costs start-up
import os

from iscsi_client import fanout
from iscsi_client.errors import EnvironmentProblem, IscError, IscsiadmError
from iscsi_client.model import Iqn, Portal, Secret
from iscsi_client.records import record
from iscsi_client.system import dbspace
from iscsi_client.system.commands import child_env
from iscsi_client.system.lock import HostLock, NotHeld, host_lock
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from iscsi_client.system.commands import Observer

Arg = str | Secret

DEFAULT_TIMEOUT = 120.0


@record
class Completed:
    argv: tuple[str, ...]  # masked
    rc: int
    stdout: str
    stderr: str
    dry_run: bool = False

    def error_lines(self) -> list[str]:
        """iscsiadm's own complaints, without the systemd noise some hosts add."""
        noise = ("System has not been booted with systemd", "Failed to connect to bus")
        return [ln for ln in self.stderr.splitlines() if ln.strip() and not ln.startswith(noise)]


def masked(argv: Sequence[Arg]) -> tuple[str, ...]:
    return tuple(str(a) if isinstance(a, Secret) else a for a in argv)


def node_selector(target: Iqn | None = None, portal: Portal | None = None, iface: str | None = None, *,
                  with_tpgt: bool = False) -> list[str]:
    """``-m node -T ... -p ... -I ...``; ``with_tpgt`` passes the portal group tag when the portal has one
    (``-o new`` then makes the per-iface layout that discovery makes)."""
    args = ["-m", "node"]
    if target is not None:
        args += ["-T", str(target)]
    if portal is not None:
        args += ["-p", str(portal) if with_tpgt and portal.tpgt not in (None, -1) else portal.address]
    if iface is not None:
        args += ["-I", iface]
    return args


def discoverydb_args(method: str, address: str, mode: str = "discoverydb") -> list[Arg]:
    """``-m discoverydb -t st|isns -p ADDRESS``: the discovery record of one portal (method: sendtargets or
    isns, as in DiscoveryRecord); mode="discovery" for a discovery without a stored record."""
    return ["-m", mode, "-t", "st" if method == "sendtargets" else "isns", "-p", address]


def update_args(settings: Sequence[tuple[str, Arg]]) -> list[Arg]:
    """``-o update`` with every ``-n NAME -v VALUE`` pair in one command."""
    args: list[Arg] = ["-o", "update"]
    for name, value in settings:
        args += ["-n", name, "-v", value]
    return args


@record
class Call:
    """One command for :meth:`Iscsiadm.run_each`."""
    args: Sequence[Arg]
    action: str
    ok: Sequence[int] = (0,)
    timeout: float | None = None  # at least this long, whatever the Iscsiadm's own timeout


class Iscsiadm:
    """Runs iscsiadm for one isc invocation. ``count`` records how many times it was executed."""

    def __init__(self, root: Root, *, dry_run: bool = False, observer: Observer | None = None,
                 timeout: float = DEFAULT_TIMEOUT, binary: str | None = None,
                 on_wait: Callable[[str], None] | None = None, changes: list[str] | None = None) -> None:
        self.root = root
        self.changes = changes  # every changing command line (masked), run or not, in order
        self.dry_run = dry_run
        self.observer = observer
        self.timeout = timeout
        self.binary = binary or os.environ.get("ISC_ISCSIADM", "iscsiadm")
        self.count = 0
        self._count_lock = _thread.allocate_lock()
        self.on_wait = on_wait

    def run(self, args: Sequence[Arg], *, mutating: bool, action: str, ok: Sequence[int] = (0,),
            stdin: str | None = None) -> Completed:
        """Run ``iscsiadm ARGS``. A code outside ``ok`` raises :class:`IscsiadmError`."""
        self.root.require_live(action)
        if mutating and not self.dry_run and dbspace.writes_records(args):
            dbspace.ensure_room(self.root)  # before -v says it runs
        argv_masked = self._announce(args, mutating)
        if self.dry_run and mutating:
            return Completed(argv_masked, 0, "", "", dry_run=True)
        return self._run(args, argv_masked, mutating=mutating, action=action, ok=ok, stdin=stdin)

    def run_each(self, calls: Sequence[Call], *, parallel: int) -> list[Completed | IscsiadmError]:
        """Run several changing commands, at most ``parallel`` at once, under ONE hold of the host lock
        (the way ``iscsiadm --loginall`` sends every login to iscsid before waiting for any). Results come
        back in the order of ``calls``: a refused command gives its IscsiadmError instead of raising, so
        each call keeps its own outcome, and so does one that did not finish in time (isc stops waiting for it:
        an exit code 8, connection timed out). Announced (``-v``, ``--dry-run``, ``changes``) in order, first."""
        if not calls:
            return []
        self.root.require_live(calls[0].action)
        if not self.dry_run and any(dbspace.writes_records(c.args) for c in calls):
            dbspace.ensure_room(self.root)
        announced = [self._announce(c.args, True) for c in calls]
        if self.dry_run:
            return [Completed(a, 0, "", "", dry_run=True) for a in announced]

        def one(i: int) -> Completed | IscsiadmError:
            c = calls[i]
            try:
                return self._run(c.args, announced[i], mutating=True, action=c.action, ok=c.ok, stdin=None,
                                 timeout=c.timeout)
            except IscsiadmError as e:
                return e
            except _TimedOut as e:
                return IscsiadmError(8, action=c.action, detail=str(e), hint=e.hint)

        with self.lock():
            return fanout.each(one, range(len(calls)), parallel=parallel)

    def _announce(self, args: Sequence[Arg], mutating: bool) -> tuple[str, ...]:
        argv_masked = (self.binary, *masked(args))
        if mutating and self.changes is not None:
            self.changes.append(_line(argv_masked))
        if self.observer:
            self.observer(_line(argv_masked), self.dry_run and mutating)
        return argv_masked

    def _run(self, args: Sequence[Arg], argv_masked: tuple[str, ...], *, mutating: bool, action: str,
             ok: Sequence[int], stdin: str | None, timeout: float | None = None) -> Completed:
        tokens: dict[str, Secret] = {}
        if "update" in args and any(isinstance(a, Secret) for a in args):
            from iscsi_client.system.record_secrets import placeholder

            args = [_swap(a, tokens, placeholder) for a in args]
        with self.lock() if mutating else NotHeld():
            empty_before = self._room_for(args) if mutating else None
            completed = _scrub(self._exec(args, argv_masked, stdin, timeout), [*args, *tokens.values()])
            if empty_before is not None and completed.rc in ok:
                dbspace.check_not_left_empty(self.root, empty_before)
            if tokens and completed.rc in ok:
                from iscsi_client.system.record_secrets import fill

                fill(self.root, tokens)
        if completed.rc not in ok:
            rc = completed.rc
            if "Could not load transport" in completed.stderr:
                # With a named iface, a missing kernel transport comes back as rc 21 ("no records"),
                # which would send the user looking in the wrong place.
                rc = 12
            raise IscsiadmError(rc, action=action, detail=last_line(completed))
        return completed

    def _room_for(self, args: Sequence[Arg]) -> set[str] | None:
        """Before an exec that adds records: the empty record files already there (see check_not_left_empty)."""
        if not dbspace.adds_records(args):
            return None
        return set(dbspace.left_empty(self.root))

    def _exec(self, args: Sequence[Arg], argv_masked: tuple[str, ...], stdin: str | None,
              at_least: float | None = None) -> Completed:
        from iscsi_client.system import spawn

        real = [self.binary, *(a.reveal() if isinstance(a, Secret) else a for a in args)]
        with self._count_lock:
            self.count += 1
        # The runner's errors never carry the argv (its timeout names nothing; a program that cannot start
        # is named by its path alone), and isc's own error below names the masked command.
        ran: tuple[int, bytes, bytes] | None = None
        limit = max(self.timeout, at_least or 0.0)
        missing = False
        try:
            ran = spawn.run(real, env=child_env(), stdin=stdin.encode() if stdin is not None else None,
                            timeout=limit)
        except (FileNotFoundError, PermissionError):
            missing = True
        except spawn.TimedOut:  # killed and reaped; ran stays None
            pass
        if missing:
            raise EnvironmentProblem(
                "iscsiadm is not installed" + ("" if os.geteuid() == 0 else " or not on this user's PATH"),
                hint="install open-iscsi (apt install open-iscsi / dnf install iscsi-initiator-utils)"
                     + ("" if os.geteuid() == 0 else "; isc and iscsiadm need root: sudo isc ..."),
            ) from None
        if ran is None:
            raise _TimedOut(f"iscsiadm did not finish within {limit:.0f} s: {_line(argv_masked)}",
                            hint="a portal may be unreachable; raise --timeout or check the network",
                            exit_code=5) from None
        rc, out, err = ran
        if rc < 0:
            raise IscError(f"iscsiadm was killed by signal {-rc}: {_line(argv_masked)}",
                           hint="see the system log (OOM killer, a timeout in a wrapper) and run it again") from None
        return Completed(argv_masked, rc, _text(out), _text(err))

    def lock(self) -> HostLock:
        """The host-wide lock (system/lock.py), re-entrant within this process."""
        return host_lock(self.root, self.on_wait)


def _line(argv: Sequence[str]) -> str:
    from iscsi_client.system.spawn import command_line  # spawn, with select, loads only where a tool runs

    return command_line(argv)


class _TimedOut(IscError):
    """isc stopped waiting for an iscsiadm (killed it after its timeout)."""


def _swap(a: Arg, tokens: dict[str, Secret], make: Callable[[], str]) -> Arg:
    """A secret on an ``-o update`` argv becomes a one-time placeholder (system/record_secrets.py)."""
    if not isinstance(a, Secret):
        return a
    token = make()
    tokens[token] = a
    return token


def _scrub(c: Completed, args: Sequence[Arg]) -> Completed:
    """Mask any secret iscsiadm might echo back (e.g. in 'unknown value format' complaints)."""
    secrets = [a.reveal() for a in args if isinstance(a, Secret) and a.reveal()]
    if not secrets:
        return c
    out, err = c.stdout, c.stderr
    for value in secrets:
        out, err = out.replace(value, "********"), err.replace(value, "********")
    return Completed(c.argv, c.rc, out, err, c.dry_run)


def _text(data: bytes | str) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data


#: iscsiadm's closing summaries, which say less than the line before them
_SUMMARIES = ("Could not log into all portals", "Could not logout of all requested sessions")


def last_line(c: Completed) -> str:
    """The last line of iscsiadm's error output that says what went wrong (not its closing summary)."""
    lines = [ln.removeprefix("iscsiadm: ") for ln in c.error_lines()]
    telling = [ln for ln in lines if ln.strip() not in _SUMMARIES]
    return (telling or lines or [""])[-1]
