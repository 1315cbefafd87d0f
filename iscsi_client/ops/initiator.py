"""The initiator name: show, set, generate."""

from __future__ import annotations

from iscsi_client.model import Iqn
from iscsi_client.records import record
from iscsi_client.system import initiator_file
from iscsi_client.system.root import Root


@record
class InitiatorName:
    name: str | None
    path: str
    valid: bool
    problem: str | None = None
    firmware: str | None = None  # the name the boot firmware (iBFT) logged in with, where there is one


def show_initiator(*, root: Root) -> InitiatorName:
    from iscsi_client.errors import UsageError
    from iscsi_client.system.firmware import read_table

    name, path = initiator_file.read_initiator(root)
    table = read_table(root)
    fw = table.initiator if table else None
    if name is None:
        return InitiatorName(None, path, False, "no InitiatorName= line (or no file)", fw)
    try:
        Iqn.parse(name)
    except UsageError as e:
        return InitiatorName(name, path, False, e.message, fw)
    return InitiatorName(name, path, True, firmware=fw)


@record
class InitiatorChange:
    old: str | None
    new: str
    path: str
    backup: str | None
    changed: bool


def set_initiator(*, root: Root, name: Iqn | None, generate: bool, dry_run: bool) -> InitiatorChange:
    old, path = initiator_file.read_initiator(root)
    new = initiator_file.generate_name() if generate or name is None else name
    if old == str(new):
        return InitiatorChange(old, str(new), path, None, False)
    backup = None
    if not dry_run:
        _, backup = initiator_file.write_initiator(root, new)
    return InitiatorChange(old, str(new), path, backup, True)
