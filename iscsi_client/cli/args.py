"""Argument converters shared by commands: they turn text into validated model objects (exit 2 on error)."""

from __future__ import annotations

from iscsi_client.model import Iqn, Portal


def target_arg(value: str | None) -> Iqn | None:
    return Iqn.parse(value) if value is not None else None


def portal_arg(value: str | None) -> Portal | None:
    return Portal.parse(value) if value is not None else None
