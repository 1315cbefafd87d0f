"""What one doctor check reports (a finding, with its level and the fix to run) and what a check is."""

from __future__ import annotations

from collections.abc import Callable

from iscsi_client.ops.doctor_facts import Facts
from iscsi_client.records import record

OK, WARNING, FAILURE, SKIPPED = "ok", "warning", "failure", "skipped"


@record
class Finding:
    code: str
    level: str
    summary: str
    fix: str | None = None
    subject: str | None = None


@record
class Check:
    code: str
    title: str
    explanation: str
    run: Callable[[Facts], list[Finding]]


def finding(code: str, level: str, summary: str, fix: str | None = None, subject: str | None = None) -> Finding:
    return Finding(code, level, summary, fix, subject)
