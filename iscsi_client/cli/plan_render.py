"""Showing a plan (connect, disconnect): each step with its status, what it checks, the commands and diffs.

A rich table on a terminal, plain lines in a pipe, one JSON document under --json (failures included)."""

from __future__ import annotations

import sys

from iscsi_client.output import emit_json, note, say

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.cli.context import Ctx
    from iscsi_client.ops.connect import Summary
    from iscsi_client.ops.plan import Engine, PlanFailed, PlanReport


def plan_engine(c: Ctx) -> Engine:
    """The engine a plan command runs on: the global options' root, timeout and -v, waits shown on stderr."""
    from iscsi_client.ops.plan import Engine

    return Engine(c.root, timeout=c.timeout, observer=c.observer, on_wait=note)


def invoked_as() -> str:
    """The command line as typed, for "run the same command again" in a failed plan's hint."""
    import shlex

    return "isc " + shlex.join(sys.argv[1:])


def render_plan(report: PlanReport, *, json_out: bool, extra: dict[str, object] | None = None,
                failure: PlanFailed | None = None) -> int:
    code = failure.exit_code if failure is not None else 0
    if json_out:
        doc: dict[str, object] = {"dry_run": report.dry_run, "changed": report.changed,
                                  "steps": [s.as_dict() for s in report.steps],
                                  "iscsiadm_runs": report.iscsiadm_runs, **(extra or {})}
        if failure is not None:
            doc["error"] = {**failure.as_dict(), "step": failure.step.key, "cause": failure.cause.as_dict()}
        emit_json({**doc, "exit_code": code})
        return code
    if sys.stdout.isatty():
        _rich(report)
    else:
        _plain(report)
    if failure is not None:
        note(f"isc: error: {failure.message}")
        if failure.hint:
            note(f"hint: {failure.hint}")
    return code


def _plain(report: PlanReport) -> None:
    n = len(report.steps)
    width = max(len(s.key) for s in report.steps)
    for i, s in enumerate(report.steps, 1):
        say(f"[{i}/{n}] {s.key.ljust(width)}  {s.status:<12}  {s.title}" + (f": {s.detail}" if s.detail else ""))
        for line in s.commands:
            say(f"        $ {line}")
        for line in s.diff.splitlines():
            say(f"        {line}")


def _rich(report: PlanReport) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    colours = {"ok": "green", "changed": "yellow", "would change": "cyan", "pending": "blue", "failed": "red"}
    table = Table(box=None, pad_edge=False, header_style="bold", show_lines=False)
    for header in ("#", "STEP", "STATUS", "WHAT"):
        table.add_column(header, overflow="fold")
    for i, s in enumerate(report.steps, 1):
        what = Text(s.title + (f": {s.detail}" if s.detail else ""))
        for line in s.commands:
            what.append(f"\n$ {line}", style="dim")
        for line in s.diff.splitlines():
            what.append(f"\n{line}", style="red" if line.startswith("-") else "green" if line.startswith("+") else "")
        table.add_row(str(i), s.key, Text(s.status, style=colours.get(s.status, "")), what)
    Console(soft_wrap=True, highlight=False).print(table)


def render_summary(s: Summary) -> None:
    """The one-screen end of a connect: target, portals, sessions, devices, map, mount, warnings."""
    say("")
    say(f"target    {s.target}")
    say(f"portals   {', '.join(s.portals) or '-'}")
    say("sessions  " + (", ".join(f"{x['sid']} {x['portal']} {x['state']}" for x in s.sessions) or "-"))
    say(f"devices   {' '.join(s.devices) or '-'}")
    say(f"map       {', '.join(s.maps) or '-'}")
    say(f"mount     {s.mount or '-'}")
    for f in s.findings:
        note(f"{f['level']}: {f['code']} {f['summary']}" + (f" (fix: {f['fix']})" if f.get("fix") else ""))
