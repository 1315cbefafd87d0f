"""The plan-and-converge engine behind connect, disconnect and apply (pyinfra's model, Ansible's check mode).

A plan is an ordered list of steps. Each step knows how to tell whether its state already holds
(``satisfied``: read facts, no change) and how to bring it about (``run``: one of isc's existing
operations, given an iscsiadm and a command runner). The commands a step would run are not written a
second time: the step's own ``run`` is called with dry-run runners that collect the command lines
(secrets are masked by the runners), which is exactly what ``--dry-run`` shows for the single commands.

Running a plan:
1. every step is checked and, when not satisfied, previewed. A preview that fails while every earlier step
   is satisfied is a refusal of the input (a foreign filesystem, a mount point in use): nothing changes.
   One that fails after a step that still has to change is only "pending" (its facts do not exist yet).
2. with ``dry_run`` that is the report. Otherwise each unsatisfied step is re-checked (an earlier step may
   have done its work), run, and checked again (the verification). A failure stops the run with the step,
   what was done, and the advice to run the same command again: every step is idempotent.

Nothing here prints; cli/plan_render.py shows the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from iscsi_client import records
from iscsi_client.errors import IscError
from iscsi_client.records import record
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.system.commands import Observer

OK, CHANGED, WOULD, PENDING, FAILED, SKIPPED = "ok", "changed", "would change", "pending", "failed", "not run"


@record
class Tools:
    """The runners a step uses: iscsiadm and the other host tools, both dry or both real."""

    adm: Iscsiadm
    cmd: Commands

    @property
    def dry_run(self) -> bool:
        return self.adm.dry_run


@record
class Done:
    """What a step's run reports: a line for people and, for file edits, the diff."""

    detail: str
    diff: str = ""


@record
class Step:
    key: str  # stable name: discover, chap, startup, timeouts, login, multipath, mount, doctor, ...
    title: str  # what it is about, in words
    satisfied: Callable[[], bool]
    run: Callable[[Tools], Done]
    checks: str = ""  # what ``satisfied`` looks at, in words (shown in the plan)
    readonly: bool = False  # only reads (doctor): runs last with dry-run runners, never 'changed'


@record(frozen=False)
class StepReport:
    key: str
    title: str
    checks: str
    status: str = OK
    changed: bool = False
    commands: list[str] = records.field(default_factory=list)  # masked command lines, in order
    detail: str = ""
    diff: str = ""
    error: IscError | None = None
    seconds: float = 0.0  # wall time of its check, run and verification

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"step": self.key, "title": self.title, "checks": self.checks,
                                  "status": self.status, "changed": self.changed, "commands": self.commands,
                                  "detail": self.detail, "diff": self.diff, "seconds": round(self.seconds, 3)}
        if self.error is not None:
            out["error"] = self.error.as_dict()
        return out


@record(frozen=False)
class PlanReport:
    steps: list[StepReport]
    dry_run: bool
    iscsiadm_runs: int = 0

    @property
    def changed(self) -> bool:
        return any(s.changed for s in self.steps)


class PlanFailed(IscError):
    """A step failed (or was refused before anything ran): carries the report so far and the cause."""

    kind = "plan_step"

    def __init__(self, report: PlanReport, step: StepReport, err: IscError, *, command: str) -> None:
        done = [s.key for s in report.steps if s.changed and s is not step]  # the failed one is no "before"
        if done and not report.dry_run:
            before = f"done before it: {', '.join(done)}"
        elif step.changed and not report.dry_run:
            before = "no step before it changed anything; it ran the commands shown before failing"
        else:
            before = "nothing was changed"
        super().__init__(f"step '{step.key}' ({step.title}) failed: {err.message}; {before}",
                         hint=(f"{err.hint + '; ' if err.hint else ''}then run the same command again "
                               f"({command}): the steps already done are kept and skipped"),
                         exit_code=err.exit_code)
        self.cause = err
        self.report = report
        self.step = step


class Engine:
    """Runs steps with runners it makes for each one (so it can collect each step's commands)."""

    def __init__(self, root: Root, *, timeout: float, observer: Observer | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.timeout = timeout
        self.observer = observer
        self.on_wait = on_wait
        self.runs = 0

    def tools(self, *, dry_run: bool, collect: list[str]) -> Tools:
        """Runners that list each changing command in ``collect`` (reads are not changes) and show what
        they run to the observer (-v) on a real run; a preview's dry run is shown by the plan instead."""
        observer = None if dry_run else self.observer
        adm = Iscsiadm(self.root, dry_run=dry_run, observer=observer, timeout=self.timeout, on_wait=self.on_wait,
                       changes=collect)
        return Tools(adm, Commands(self.root, dry_run=dry_run, observer=observer, changes=collect))

    def _call(self, step: Step, report: StepReport, *, dry_run: bool) -> Done:
        tools = self.tools(dry_run=dry_run, collect=report.commands)
        try:
            return step.run(tools)
        finally:
            self.runs += tools.adm.count

    def execute(self, steps: list[Step], *, dry_run: bool, command: str) -> PlanReport:
        report = PlanReport([StepReport(s.key, s.title, s.checks) for s in steps], dry_run)
        todo: list[tuple[Step, StepReport]] = []
        for step, rep in zip(steps, report.steps, strict=True):
            if step.readonly:
                continue
            if step.satisfied():
                rep.detail = rep.detail or "already so"
                continue
            try:
                done = self._call(step, rep, dry_run=True)
                rep.status, rep.detail, rep.diff = WOULD, done.detail, done.diff
            except IscError as e:
                if not todo:  # nothing before it changes: the input itself is refused
                    rep.status, rep.error = FAILED, e
                    report.iscsiadm_runs = self.runs
                    raise PlanFailed(report, rep, e, command=command) from None
                rep.status, rep.detail = PENDING, f"after the steps before it (now: {e.message})"
            todo.append((step, rep))
        if not dry_run:
            self._converge(todo, report, command)
        for step, rep in zip(steps, report.steps, strict=True):
            if not step.readonly:
                continue
            if dry_run and todo:
                rep.status, rep.detail = PENDING, "runs once the steps before it have run"
                continue
            started = time.monotonic()
            try:
                rep.detail = self._call(step, rep, dry_run=True).detail
            except IscError as e:
                rep.status, rep.detail = FAILED, e.message
            rep.seconds = time.monotonic() - started
        report.iscsiadm_runs = self.runs
        return report

    def _converge(self, todo: list[tuple[Step, StepReport]], report: PlanReport, command: str) -> None:
        for step, rep in todo:
            rep.commands, rep.diff = [], ""
            started = time.monotonic()
            try:
                self._converge_one(step, rep, todo, report, command)
            finally:
                rep.seconds = time.monotonic() - started

    def _converge_one(self, step: Step, rep: StepReport, todo: list[tuple[Step, StepReport]], report: PlanReport,
                      command: str) -> None:
        if step.satisfied():
            rep.status, rep.detail = OK, "already so (after the steps before it)"
            return
        try:
            done = self._call(step, rep, dry_run=False)
            if not step.satisfied():
                raise IscError(f"ran, but the check still fails: {step.checks or step.title}",
                               hint="see the commands above (isc -v shows them as they run)")
        except IscError as e:
            rep.status, rep.error = FAILED, e
            rep.changed = bool(rep.commands)
            for _, later in todo[todo.index((step, rep)) + 1:]:
                later.status, later.detail, later.commands, later.diff = SKIPPED, "", [], ""
            report.iscsiadm_runs = self.runs
            raise PlanFailed(report, rep, e, command=command) from None
        rep.status, rep.changed, rep.detail, rep.diff = CHANGED, True, done.detail, done.diff
