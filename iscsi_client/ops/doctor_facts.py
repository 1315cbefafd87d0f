"""Everything ``isc doctor`` looks at, gathered once through the system adapters (files under --root;
tools and probes only on the live host). The checks (ops/doctor_checks.py) are pure functions of this."""

from __future__ import annotations

from iscsi_client.kernel_model import MultipathMap, SessionView
from iscsi_client.model import Node
from iscsi_client.ops.firmware import firmware_keys
from iscsi_client.ops.initiator import InitiatorName, show_initiator
from iscsi_client.parsers import fstab as fstab_text
from iscsi_client.records import field, record
from iscsi_client.system import blockdev, ifacedb, initiator_file, net_probe, nodedb, services, sysfs
from iscsi_client.system import fstab as fstab_file
from iscsi_client.system import multipath as mp
from iscsi_client.system.commands import Commands
from iscsi_client.system.files import read_text
from iscsi_client.system.root import Root


@record
class PortalMtu:
    address: str
    ipv6: bool
    dev: str | None
    mtu: int | None
    expected_payload: int | None  # what the interface MTU allows
    largest_payload: int | None  # what got through with don't-fragment (None: nothing did)


@record
class FstabLine:
    entry: fstab_text.FstabEntry
    isc_comment: str | None


@record
class Facts:
    live: bool
    iscsiadm_installed: bool | None
    iscsid_running: bool | None
    units: dict[str, bool]  # existing boot units -> enabled
    initiator: InitiatorName
    initiator_text: str
    nodes: list[Node]
    views: list[SessionView]
    fstab: list[FstabLine]
    maps: list[MultipathMap] | None  # None: not looked at (no multipathd, or --root)
    mtus: list[PortalMtu]
    egress: dict[int, str] = field(default_factory=dict)  # session id -> the NIC its packets leave through
    secret_files: list[nodedb.SecretFile] = field(default_factory=list)  # which keys and modes, never values
    mount_units: frozenset[str] = frozenset()  # *.mount unit files installed (mounts made persistent by systemd)
    session_chap_users: dict[int, str | None] = field(default_factory=dict)  # sid -> the user it logged in with
    iface_initiators: dict[str, str] = field(default_factory=dict)  # iface -> its own initiator name, if set
    firmware: frozenset[tuple[str, str]] = frozenset()  # (target, portal) of the boot firmware's (iBFT) targets


def _fstab_lines(text: str) -> list[FstabLine]:
    out: list[FstabLine] = []
    previous = ""
    for line in text.splitlines():
        e = fstab_text.parse_line(line)
        if e is not None:
            comment = previous[len(fstab_text.MARKER):].strip() if previous.startswith(fstab_text.MARKER) else None
            out.append(FstabLine(e, comment))
        previous = line
    return out


def portals_in_use(nodes: list[Node], views: list[SessionView]) -> list[str]:
    """Hosts of active sessions and of records that log in at boot."""
    hosts = {v.session.portal.host for v in views}
    hosts |= {n.portal.host for n in nodes if n.startup == "automatic"}
    return sorted(hosts)


def gather(*, root: Root, cmd: Commands, probe_mtu: bool = True) -> Facts:
    live = root.is_live
    nodes = nodedb.read_nodes(root)
    views = blockdev.session_views(root)
    units = {u: services.is_enabled(root, u) for u in (*services.LOGIN_UNITS, *services.DAEMON_UNITS,
                                                       services.MULTIPATH_UNIT, services.REMOTE_FS_UNIT)
             if services.unit_exists(root, u)}
    maps = None
    if live and services.tool_installed("multipathd"):
        try:
            maps = mp.show_maps(cmd)
        except Exception:
            maps = None
    egress = _egress(root, cmd, views) if live else {}
    mtus: list[PortalMtu] = []
    if live and probe_mtu:
        for host in portals_in_use(nodes, views):
            ipv6 = ":" in host
            dev = net_probe.route_device(cmd, host)
            mtu = net_probe.interface_mtu(root, dev) if dev else None
            overhead = net_probe.IPV6_OVERHEAD if ipv6 else net_probe.IPV4_OVERHEAD
            # the largest ICMP payload one IP packet can carry: 65507 (IPv4), 65527 (IPv6)
            expected = min(mtu - overhead, 65535 - overhead + (20 if ipv6 else 0)) if mtu else None
            largest = net_probe.largest_payload(cmd, host, expected, ipv6=ipv6) if expected else None
            mtus.append(PortalMtu(host, ipv6, dev, mtu, expected, largest))
    return Facts(
        live=live,
        iscsiadm_installed=services.tool_installed("iscsiadm") if live else None,
        iscsid_running=services.daemon_running(root, "iscsid") if live else None,
        units=units,
        initiator=show_initiator(root=root),
        initiator_text=read_text(root.str(initiator_file.PATH)) or "",
        nodes=nodes,
        views=views,
        fstab=_fstab_lines(fstab_file.read_fstab(root)),
        maps=maps,
        mtus=mtus,
        egress=egress,
        secret_files=nodedb.secret_files(root),
        mount_units=services.mount_units(root),
        session_chap_users={v.session.sid: sysfs.negotiated(root, v.session).chap_user for v in views},
        iface_initiators={i.name: i.initiatorname for i in ifacedb.read_ifaces(root) if i.initiatorname},
        firmware=frozenset(firmware_keys(root)),
    )


def _egress(root: Root, cmd: Commands, views: list[SessionView]) -> dict[int, str]:
    """The NIC each multipathed session uses: its iface's binding, else the route to its portal."""
    bound = {i.name: i.net_ifacename for i in ifacedb.read_ifaces(root) if i.net_ifacename}
    routes: dict[str, str | None] = {}
    out: dict[int, str] = {}
    for v in views:
        if not any(lun.map for lun in v.luns):
            continue
        s = v.session
        dev = bound.get(s.iface)
        if dev is None:
            if s.portal.host not in routes:
                routes[s.portal.host] = net_probe.route_device(cmd, s.portal.host)
            dev = routes[s.portal.host]
        if dev:
            out[s.sid] = dev
    return out
