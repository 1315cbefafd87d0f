"""Changing settings of node records (``iscsiadm -m node -o update``), the isc way: validated before
anything runs, every name/value pair and every record of the target in ONE exec, only where a value
differs (running it twice changes nothing), and by file edits under --root where iscsiadm cannot run.

Secrets and the identity of a record are not settings: CHAP goes through ``isc chap`` (it never takes a
secret on the command line), and a record's target, portal or iface is changed by adding a new record."""

from __future__ import annotations

from collections.abc import Sequence

from iscsi_client.errors import NotFoundError, UsageError
from iscsi_client.model import Iqn, Node, Portal, check_setting
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.records import record
from iscsi_client.system import nodedb, sysfs
from iscsi_client.system.iscsiadm import Iscsiadm, node_selector, update_args
from iscsi_client.system.root import Root


@record
class SettingsResult:
    changed: list[Node]
    unchanged: list[Node]
    in_session: list[Node]  # changed records with a session now: the new values apply at its next login


def parse_assignments(items: Sequence[str]) -> list[tuple[str, str]]:
    """``NAME=VALUE`` words into pairs, refusing what isc must not set this way (exit 2, nothing runs)."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UsageError(f"{item!r} is not NAME=VALUE", hint="e.g. node.session.timeo.replacement_timeout=5")
        check_setting(name, value)
        if any(n == name for n, _ in pairs):
            raise UsageError(f"{name} is given twice")
        pairs.append((name, value))
    if not pairs:
        raise UsageError("give at least one NAME=VALUE", hint="e.g. node.session.timeo.replacement_timeout=5")
    return pairs


def _check_against(name: str, value: str, current: str | None) -> None:
    """The value has the kind the record already holds: a number for a number, Yes/No for Yes/No."""
    if current is None:
        return
    def number(text: str) -> bool:
        return text.isascii() and text.lstrip("-").isdigit()

    if number(current) and not number(value):
        raise UsageError(f"{name} holds a number ({current}); {value!r} is not one")
    if current in ("Yes", "No") and value not in ("Yes", "No"):
        raise UsageError(f"{name} is Yes or No (now {current}); {value!r} is neither")


def set_node_values(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
                    settings: Sequence[tuple[str, str]], iface: str | None = None) -> SettingsResult:
    """Set these values on every record of the target (or of one portal, or one iface's records: a
    portal reached through two ifaces has a record for each); one iscsiadm exec at most."""
    for name, value in settings:
        check_setting(name, value)
    nodes = select_nodes(root=root, target=target, portal=portal)
    if iface is not None:
        nodes = [n for n in nodes if n.iface == iface]
        if not nodes:
            where = f" on {portal.address}" if portal else ""
            raise NotFoundError(f"{target} has no record for iface {iface}{where}",
                                hint=f"'isc nodes -T {target}' lists its records and their ifaces")
    records = {n.key: rec for n, rec in nodedb.read_records(root, target=target)}
    for name, value in settings:
        held = [records[n.key] for n in nodes if n.key in records]
        if held and all(name not in rec for rec in held):
            raise UsageError(f"the records of {target} have no setting {name}",
                             hint=f"'iscsiadm -m node -T {target} -o show' lists the settings they have")
        for rec in held:
            _check_against(name, value, rec.get(name))
    todo = [n for n in nodes if any(records.get(n.key, {}).get(name) != value for name, value in settings)]
    if todo and not root.is_live:
        if not adm.dry_run:
            nodedb.write_settings(root, todo, settings)
    elif todo:
        one_portal = portal.without_tpgt() if portal else (todo[0].portal.without_tpgt() if len(todo) == 1 else None)
        names = ", ".join(name for name, _ in settings)
        adm.run([*node_selector(target, one_portal, iface), *update_args(list(settings))], mutating=True,
                action=f"setting {names} on {target}")
    sessions = sysfs.read_sessions(root) if todo else []
    live = [n for n in todo if any(s.target == n.target and s.portal.same_address(n.portal) and s.iface == n.iface
                                   for s in sessions)]
    return SettingsResult(todo, [n for n in nodes if n not in todo], live)
