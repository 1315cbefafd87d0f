"""The frozen per-invocation context that the root callback puts on ``ctx.obj``."""

from __future__ import annotations

import os

from iscsi_client.records import record
from iscsi_client.system.root import Root

TYPE_CHECKING = False
if TYPE_CHECKING:  # typer is not imported by the commands cli/direct.py runs without it
    from collections.abc import Callable
    from typing import Any

    import typer


@record
class Ctx:
    root: Root
    json: bool = False
    dry_run: bool = False
    verbose: bool = False
    timeout: float = 120.0

    @classmethod
    def of(cls, root: str | os.PathLike[str] = "/", **settings: Any) -> Ctx:
        """The context of the global options: --root DIR resolved (the live host when it is "/")."""
        return cls(root=Root(os.path.realpath(root) if os.fspath(root) != "/" else "/"), **settings)

    def observer(self, line: str, dry: bool) -> None:
        from iscsi_client.output import note

        if dry:
            note(f"would run: {line}")
        elif self.verbose:
            note(f"+ {line}")

    def iscsiadm(self):  # noqa: ANN201 - returns system.iscsiadm.Iscsiadm, imported lazily
        from iscsi_client.output import note
        from iscsi_client.system.iscsiadm import Iscsiadm

        return Iscsiadm(self.root, dry_run=self.dry_run, observer=self._shown(), timeout=self.timeout,
                        on_wait=note)

    def commands(self):  # noqa: ANN201 - returns system.commands.Commands, imported lazily
        from iscsi_client.system.commands import Commands

        return Commands(self.root, dry_run=self.dry_run, observer=self._shown())

    def _shown(self) -> Callable[[str, bool], None] | None:
        """The observer where it prints (-v, --dry-run), else None: a runner then builds no command line (its
        quoting loads shlex, with re)."""
        return self.observer if self.verbose or self.dry_run else None


def get(ctx: typer.Context) -> Ctx:
    obj = ctx.find_root().obj
    if isinstance(obj, Ctx):
        return obj
    return Ctx(root=Root())
