"""Per-item outcomes of an operation over several portals or targets."""

from __future__ import annotations

from iscsi_client.errors import EXIT_OK, EXIT_PARTIAL, IscError
from iscsi_client.records import field, record


@record
class Outcome:
    """What happened to one (target, portal): ``done``, ``already`` (intent already met), ``would``
    (dry run), or ``failed`` with the error."""

    target: str
    portal: str
    status: str
    detail: str = ""
    error: IscError | None = field(default=None, compare=False)
    devices: tuple[str, ...] = ()
    sid: int | None = None
    steps: tuple[str, ...] = ()
    iface: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"target": self.target, "portal": self.portal, "iface": self.iface,
                                  "status": self.status,
                                  "detail": self.detail, "sid": self.sid, "devices": list(self.devices),
                                  "steps": list(self.steps)}
        if self.error is not None:
            out["error"] = self.error.as_dict()
        return out


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when nothing failed; the failure's own code when all failed alike; EXIT_PARTIAL otherwise."""
    failed = [o for o in outcomes if o.status == "failed"]
    if not failed:
        return EXIT_OK
    codes = {o.error.exit_code if o.error else 1 for o in failed}
    if len(failed) == len(outcomes) and len(codes) == 1:
        return codes.pop()
    return EXIT_PARTIAL
