"""Argument converters shared by commands: they turn text into validated model objects (exit 2 on error).
The model is imported on first use, not at start-up: every TAB press imports the CLI."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.model import Iqn, Portal


def target_arg(value: str | None) -> Iqn | None:
    from iscsi_client.model import Iqn

    return Iqn.parse(value) if value is not None else None


def portal_arg(value: str | None) -> Portal | None:
    from iscsi_client.model import Portal

    return Portal.parse(value) if value is not None else None
