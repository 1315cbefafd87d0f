"""Rendering per-portal outcomes (login, logout) the same way for every command."""

from __future__ import annotations

from iscsi_client.ops.outcome import Outcome, exit_code
from iscsi_client.output import Column, emit_json, note, print_table

OUTCOME_COLUMNS = [
    Column("target", "target", lambda o: o.target),
    Column("portal", "portal", lambda o: o.portal),
    Column("status", "status", lambda o: o.status),
    Column("detail", "detail", lambda o: o.detail),
    Column("devices", "devices", lambda o: list(o.devices)),
]


def render_outcomes(outcomes: list[Outcome], *, json_out: bool, key: str,
                    json_extra: dict[str, object] | None = None) -> int:
    """A table (or JSON under ``key``, after ``json_extra``) and each failure's message; the exit code."""
    code = exit_code(outcomes)
    if json_out:
        emit_json({**(json_extra or {}), key: [o.as_dict() for o in outcomes], "exit_code": code})
        return code
    columns = OUTCOME_COLUMNS
    if any(o.iface not in (None, "default") for o in outcomes):  # records of one portal on several ifaces
        columns = [*columns[:2], Column("iface", "iface", lambda o: o.iface), *columns[2:]]
    print_table(columns, outcomes)
    for o in outcomes:
        if o.error is not None:
            note(f"isc: error: {o.error.message}")
            if o.error.hint:
                note(f"hint: {o.error.hint}")
    return code
