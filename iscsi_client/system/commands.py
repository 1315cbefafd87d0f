"""Running host tools other than iscsiadm (blkid, mkfs, mount, findmnt, systemctl, multipath): the same
observer (-v / --dry-run) and LC_ALL=C as system/iscsiadm.py."""

from __future__ import annotations

import os

from iscsi_client.errors import EnvironmentProblem, IscError
from iscsi_client.records import record
from iscsi_client.system import spawn
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    Observer = Callable[[str, bool], None]  # told each command line (masked) before it runs, and dry_run

SECRET_ENV = ("ISC_CHAP_PASSWORD", "ISC_CHAP_MUTUAL_PASSWORD")


def child_env() -> dict[str, str]:
    """The environment for tools isc runs: C locale, and without isc's secret variables (a child has no use
    for them, and /proc/PID/environ would show them for as long as it runs)."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update(LC_ALL="C", LANG="C")
    return env


@record
class Ran:
    argv: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    dry_run: bool = False


class Commands:
    def __init__(self, root: Root, *, dry_run: bool = False, observer: Observer | None = None,
                 timeout: float = 300.0, changes: list[str] | None = None) -> None:
        self.root = root
        self.changes = changes  # every changing command line, run or not, in order
        self.dry_run = dry_run
        self.observer = observer
        self.timeout = timeout

    def run(self, argv: Sequence[str], *, mutating: bool, action: str, ok: Sequence[int] = (0,),
            live_only: bool = True) -> Ran:
        if live_only:
            self.root.require_live(action)
        if mutating and self.changes is not None:
            self.changes.append(spawn.command_line(argv))
        if self.dry_run and mutating:
            if self.observer:
                self.observer(spawn.command_line(argv), True)
            return Ran(tuple(argv), 0, "", "", dry_run=True)
        if self.observer:
            self.observer(spawn.command_line(argv), False)
        env = child_env()
        try:
            rc, out, err = spawn.run(argv, env=env, timeout=self.timeout)
        except FileNotFoundError:
            raise EnvironmentProblem(f"{argv[0]} is not installed ({action})") from None
        except spawn.TimedOut:
            raise IscError(f"{action}: {argv[0]} did not finish within {self.timeout:.0f} s") from None
        stdout, stderr = _text(out), _text(err)
        if rc not in ok:
            detail = (stderr.strip() or stdout.strip()).splitlines()
            raise IscError(f"{action} failed: {spawn.command_line(argv)} exited with {rc}"
                           + (f" ({detail[-1]})" if detail else ""))
        return Ran(tuple(argv), rc, stdout, stderr)


def _text(data: bytes) -> str:
    """A tool's output as text: UTF-8, any other byte kept as a surrogate (a label, a path in another
    encoding), the way isc reads system files."""
    return data.decode("utf-8", "surrogateescape")
