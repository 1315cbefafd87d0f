"""isc tune: what each setting that matters for a target is in its records, what the kernel uses now, what
a profile or --set proposes and why; writing the proposal through the record-settings code (one iscsiadm
exec). Live sessions keep their values until they log in again: ops/tune_relogin.py rolls them.

Nothing here prints; cli/tune.py shows the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from iscsi_client.errors import NotFoundError
from iscsi_client.kernel_model import Session, SessionView
from iscsi_client.model import Iqn, Node
from iscsi_client.ops.node_settings import SettingsResult, set_node_values
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.ops.tunables import (
    TUNABLES,
    Proposal,
    check_together,
    parse_sets,
    profile_values,
)
from iscsi_client.parsers.record import parse_record
from iscsi_client.records import field, record
from iscsi_client.system import blockdev, nodedb, sysfs
from iscsi_client.system.commands import Commands
from iscsi_client.system.files import read_text
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root


@record
class TuneRow:
    name: str
    setting: str | None  # the record setting; None for what lives elsewhere (the map, the NIC)
    record: str  # the records' value ("64", or "32/64" when they differ)
    live: str  # what the kernel uses now ("-" when nothing is logged in or it is not kept after login)
    proposed: str | None  # None: left as it is
    why: str
    about: str

    @property
    def changes(self) -> bool:
        return self.proposed is not None and self.proposed != self.record


@record
class TuneView:
    target: Iqn
    profile: str | None
    rows: tuple[TuneRow, ...]
    nodes: tuple[Node, ...]
    sessions: tuple[Session, ...]
    notes: tuple[str, ...] = ()

    @property
    def proposals(self) -> dict[str, str]:
        """setting -> value for every row that would change."""
        return {r.setting: r.proposed for r in self.rows if r.changes and r.setting and r.proposed is not None}


@record
class TuneResult:
    view: TuneView
    settings: SettingsResult | None = None  # None: nothing to write
    written: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _joined(values: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(v for v in values if v))
    return "/".join(distinct) if distinct else "-"


def iscsid_defaults(root: Root) -> dict[str, str]:
    """The tunables' values iscsid.conf sets (records made from now on get them)."""
    values = parse_record(read_text(root(nodedb.ISCSID_CONF)) or "")
    return {t.setting: v for t in TUNABLES if (v := values.get(t.setting))}


def live_values(root: Root, nodes: Sequence[Node], views: Sequence[SessionView]) -> dict[str, list[str]]:
    """By tunable name, what the kernel uses for each session (and each disk) of these records."""
    out: dict[str, list[str]] = {}
    for v in views:
        for name, value in sysfs.live_tuning(root, v.session).items():
            out.setdefault(name, []).append(value)
        neg = sysfs.negotiated(root, v.session)
        out.setdefault("header_digest", []).append(neg.header_digest or "")
        out.setdefault("data_digest", []).append(neg.data_digest or "")
        for lun in v.luns:
            if lun.disk is not None:
                depth = blockdev.read_attr(root.str(f"/sys/block/{lun.disk.name}/device/queue_depth"))
                out.setdefault("queue_depth", []).append(depth or "")
    for n in nodes:
        count = sum(1 for v in views if v.session.target == n.target and v.session.portal.same_address(n.portal)
                    and v.session.iface == n.iface)
        if count:
            out.setdefault("nr_sessions", []).append(str(count))
    return out


def target_views(root: Root, target: Iqn) -> list[SessionView]:
    return blockdev.session_views(root, [s for s in sysfs.read_sessions(root) if s.target == target])


def _elsewhere(root: Root, cmd: Commands, views: Sequence[SessionView]) -> list[TuneRow]:
    """What the records do not hold but throughput and failover depend on: the map and the NIC."""
    from iscsi_client.system import multipath
    from iscsi_client.system.net_probe import interface_mtu, route_device

    rows: list[TuneRow] = []
    wwids = {lun.map.wwid for v in views for lun in v.luns if lun.map is not None and lun.map.wwid}
    if wwids:
        maps = [m for m in multipath.show_maps(cmd) if m.wwid in wwids]
        selectors = [g.selector for m in maps for g in m.path_groups]
        rows.append(TuneRow("path_selector", None, "-", _joined(selectors), None,
                            "multipath.conf's path_selector (isc multipath config)", "how the map spreads I/O"))
        rows.append(TuneRow("no_path_retry", None, "-", _joined([m.queueing for m in maps]), None,
                            "multipath.conf's no_path_retry", "what the map does once every path has failed"))
    mtus = []
    for host in dict.fromkeys(v.session.portal.host for v in views):
        dev = route_device(cmd, host)
        mtu = interface_mtu(root, dev) if dev else None
        if dev and mtu:
            mtus.append(f"{mtu} ({dev})")
    if mtus:
        rows.append(TuneRow("mtu", None, "-", _joined(mtus), None, "isc doctor checks the path MTU",
                            "the NIC's MTU towards the portals (jumbo frames: 9000 end to end)"))
    return rows


def tune_view(*, root: Root, cmd: Commands, target: Iqn, profile: str | None = None,
              sets: Sequence[str] = ()) -> TuneView:
    """The rows for this target: record, live and proposed values. ``sets`` win over the profile."""
    nodes = select_nodes(root=root, target=target, portal=None)
    records = [rec for n, rec in nodedb.read_records(root, target=target)]
    if not records:
        raise NotFoundError(f"{target} has no node records", hint=f"isc discover PORTAL, then isc tune {target}")
    views = target_views(root, target)
    live = live_values(root, nodes, views)
    portals = len({n.portal.address for n in nodes})
    proposals: dict[str, Proposal] = {}
    if profile is not None:
        proposals = profile_values(profile, portals=portals, defaults=iscsid_defaults(root))
    proposals |= parse_sets(sets)
    mapped = any(lun.map is not None for v in views for lun in v.luns)
    rows: list[TuneRow] = []
    for t in TUNABLES:
        record = _joined([rec.get(t.setting) or "" for rec in records])
        p = proposals.get(t.name)
        why = p.why if p else ""
        live_value = _joined(live.get(t.name, []))
        if t.name == "replacement_timeout" and mapped and live_value not in ("-", record):
            why = why or "multipathd sets the live recovery_tmo of its paths (fast_io_fail_tmo)"
        rows.append(TuneRow(t.name, t.setting, record, live_value, p.value if p else None, why, t.about))
    merged: Mapping[str, str] = {r.name: r.proposed or r.record for r in rows}
    check_together(merged)
    rows += _elsewhere(root, cmd, views)
    notes = []
    if views and any(r.changes for r in rows):
        notes.append(f"{len(views)} live session(s) keep their values until they log in again: "
                     f"isc tune {target} --relogin applies them path by path")
    return TuneView(target, profile, tuple(rows), tuple(nodes), tuple(v.session for v in views), tuple(notes))


def write_proposals(*, root: Root, adm: Iscsiadm, view: TuneView) -> TuneResult:
    """Write the rows that change into every record of the target, in one iscsiadm exec."""
    settings = tuple(view.proposals.items())
    if not settings:
        return TuneResult(view)
    result = set_node_values(root=root, adm=adm, target=view.target, portal=None, settings=settings)
    return TuneResult(view, result, settings)

