"""Discovery (SendTargets, iSNS, firmware/iBFT) that never resets settings of existing node records.

``iscsiadm -m discovery ... -o new`` only creates records that do not exist yet; plain discovery would
also *update* existing records back to iscsid.conf defaults (node.startup, CHAP), which silently breaks
boot logins and CHAP after a routine re-scan. The discovery record of a portal asked before is kept too:
its discovery CHAP survives a rediscovery without --chap-user.
"""

from __future__ import annotations

from iscsi_client import preload
from iscsi_client.errors import InUseError, IscsiadmError, NotFoundError, UsageError
from iscsi_client.model import DiscoveredTarget, DiscoveryRecord, Node, Portal, Secret
from iscsi_client.records import record
from iscsi_client.system import nodedb
from iscsi_client.system.commands import Commands
from iscsi_client.system.iscsiadm import Arg, Completed, Iscsiadm, discoverydb_args, update_args
from iscsi_client.system.root import Root


@record
class Found:
    """A discovered (target, portal) and what isc made of it."""

    target: str
    portal: Portal
    record: str  # "new", "kept" (existed: settings untouched), "skipped" (flagged), "would" (dry run)
    flags: tuple[str, ...] = ()  # "link-local", "unreachable"
    ifaces: tuple[str, ...] = ()  # the ifaces of this target's records at this portal, after discovery


@record
class DiscoveryChap:
    user: str
    secret: Secret
    allow_long: bool = False
    mutual_user: str | None = None
    mutual_secret: Secret | None = None


def discover(*, root: Root, adm: Iscsiadm, portals: list[Portal], method: str = "sendtargets",
             chap: DiscoveryChap | None = None, clear_chap: bool = False, iface: str | None = None,
             keep_flagged: bool = False, probe_timeout: float = 1.5) -> list[Found]:
    # what reading the answers takes is imported while the first discovery runs, not before it starts
    preload.queue("iscsi_client.parsers.portal_lines", "iscsi_client.system.net")
    before = {n.key for n in nodedb.read_nodes(root)}
    records = {(r.method, r.portal.address): r for r in nodedb.read_discovery(root)}
    answers: list[DiscoveredTarget] = []
    for portal in portals:
        addr = portal.without_tpgt().address
        result = _ask(root, adm, addr, method, records.get((method, addr)), chap=chap, clear_chap=clear_chap,
                      iface=iface)
        from iscsi_client.parsers.portal_lines import parse_portal_lines

        answers.extend(parse_portal_lines(result.stdout))
        if result.dry_run:
            return []
    from iscsi_client.system import net

    reach = net.probe_portals([a.portal for a in answers], probe_timeout)
    after = {n.key: n for n in nodedb.read_nodes(root)}
    found: list[Found] = []
    for a in answers:
        flags = []
        if a.portal.is_link_local:
            flags.append("link-local")
        if not reach.get(a.portal.without_tpgt(), False):
            flags.append("unreachable")
        keys = [k for k in after if k[0] == str(a.target) and k[1] == a.portal.address]
        is_new = any(k not in before for k in keys)
        record = "new" if is_new else "kept"
        if flags and is_new and not keep_flagged:
            adm.run(["-m", "node", "-T", str(a.target), "-p", a.portal.address, "-o", "delete"], mutating=True,
                    action=f"removing the record for flagged portal {a.portal.address}")
            record = "skipped"
        ifaces = () if record == "skipped" else tuple(sorted(k[2] for k in keys))
        found.append(Found(str(a.target), a.portal, record, tuple(flags), ifaces))
    return found


def _ask(root: Root, adm: Iscsiadm, addr: str, method: str, stored: DiscoveryRecord | None, *,
         chap: DiscoveryChap | None, clear_chap: bool, iface: str | None) -> Completed:
    """One portal's discovery, one exec when nothing about its record changes. A portal asked before has a
    discovery record, maybe with discovery CHAP: plain `-m discovery` (and `-m discoverydb -o new`) would
    rewrite it with iscsid.conf's defaults, dropping the CHAP with exit 0, so a recorded portal is asked
    with `-m discoverydb --discover`, which uses the record as it is."""
    db = discoverydb_args(method, addr)
    iface_args = ["-I", iface] if iface else []
    if chap is not None or clear_chap:  # ops/chap.py (with ops/nodes.py) loads only for these
        from iscsi_client.ops.chap import discovery_chap_cleared, discovery_chap_settings
    if chap is not None:
        settings = discovery_chap_settings(method, chap.user, chap.secret, chap.allow_long, chap.mutual_user,
                                           chap.mutual_secret)
        if stored is None:
            adm.run([*db, "-o", "new"], mutating=True, action=f"adding discovery record for {addr}", ok=(0, 15))
        adm.run([*db, *update_args(settings)], mutating=True, action=f"setting discovery CHAP for {addr}")
    elif clear_chap and stored is not None and stored.auth != "None":
        adm.run([*db, *update_args(discovery_chap_cleared(method))], mutating=True,
                action=f"clearing discovery CHAP for {addr}")
    # Plain `-m discovery -t isns` keeps no discovery record (its node links land loose in /etc/iscsi/isns),
    # so the server would be missing from --list, --forget and config dump: `-m discoverydb --discover`
    # makes the record in the same exec (open-iscsi 2.1.8, seen in the lab).
    if chap is not None or stored is not None or method == "isns":
        argv = [*db, *iface_args, "--discover", "-o", "new"]
    else:
        argv = [*discoverydb_args(method, addr, mode="discovery"), *iface_args, "-o", "new"]
    try:
        return adm.run(argv, mutating=True, action=f"discovery at {addr}")
    except IscsiadmError as e:
        if stored is None:
            _drop_failed_record(adm, db, addr)
        user = chap.user if chap else (stored.chap_user if stored and not clear_chap else None)
        if e.rc == 24:
            raise IscsiadmError(24, action=f"discovery at {addr}", hint=_discovery_auth_hint(root, addr, user)) \
                from None
        if e.rc == 19 and user:
            # LIO ends the login when the initiator insists on CHAP that the target does not use
            raise IscsiadmError(19, action=f"discovery at {addr}", hint=(
                f"this host offers discovery CHAP user {user!r} to the portal; if the target no longer uses "
                f"discovery CHAP: isc discover {addr} --clear-chap")) from None
        raise


def _drop_failed_record(adm: Iscsiadm, db: list[Arg], addr: str) -> None:
    """iscsiadm keeps the discovery record of a portal whose discovery failed (refused, wrong CHAP, no iSNS
    server): a mistyped portal would stay in --list and in config dump. A portal that had no record before
    is left without one; a failure here is not worth more than the discovery's own error."""
    try:
        adm.run([*db, "-o", "delete"], mutating=True, action=f"removing the record of failed discovery at {addr}",
                ok=(0, 21))
    except IscsiadmError:
        pass


def _discovery_auth_hint(root: Root, addr: str, user: str | None) -> str:
    from iscsi_client.system import initiator_file

    name, _ = initiator_file.read_initiator(root)
    if user:
        return (f"the portal refused discovery CHAP user {user!r}; check the target's discovery credentials, "
                f"then: isc discover {addr} --chap-user {user} --password-file FILE")
    return (f"the portal wants discovery CHAP (or an ACL for this initiator, {name or 'no initiator name'}): "
            f"isc discover {addr} --chap-user USER --password-file FILE")


def list_discovery(*, root: Root) -> list[DiscoveryRecord]:
    """The discovery records: portals asked before, their type and discovery CHAP user (read from files)."""
    return nodedb.read_discovery(root)


def forget_discovery(*, root: Root, adm: Iscsiadm, portal: Portal, method: str = "sendtargets") -> list[Node]:
    """Delete a discovery record. iscsiadm deletes the node records discovered through it in the same call
    (their CHAP and boot login with them) and says nothing about it: isc names them, and refuses while
    one of them has a session."""
    addr = portal.without_tpgt().address
    if not any(r.method == method and r.portal.address == addr for r in nodedb.read_discovery(root)):
        raise NotFoundError(f"no {method} discovery record for {addr}", hint="'isc discover --list' lists them")
    linked = linked_nodes(root, addr, method)
    from iscsi_client.system import sysfs

    busy = [s for s in sysfs.read_sessions(root)
            if any(s.target == n.target and s.portal.same_address(n.portal) and s.iface == n.iface for n in linked)]
    if busy:
        where = ", ".join(f"{s.target} on {s.portal.address} (session {s.sid})" for s in busy)
        raise InUseError(f"forgetting {addr} deletes the records discovered through it, and these are in use: {where}",
                         hint="log out first (isc logout TARGET)")
    adm.run([*discoverydb_args(method, addr), "-o", "delete"], mutating=True,
            action=f"deleting the discovery record of {addr}")
    return linked


def discovered_through(record: dict[str, str | None]) -> str | None:
    """The SendTargets portal (HOST:PORT) a node record was discovered through, from the record itself."""
    host = record.get("node.discovery_address")
    if record.get("node.discovery_type") != "send_targets" or not host:
        return None
    port = record.get("node.discovery_port") or "3260"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def linked_nodes(root: Root, address: str, method: str = "sendtargets") -> list[Node]:
    """The node records discovered through one discovery portal (iscsiadm deletes them with it)."""
    kind = "send_targets" if method == "sendtargets" else "isns"
    portal = Portal.parse(address)
    return [n for n, rec in nodedb.read_records(root) if rec.get("node.discovery_type") == kind
            and _same_address(rec.get("node.discovery_address"), rec.get("node.discovery_port"), portal)]


def _same_address(host: str | None, port: str | None, portal: Portal) -> bool:
    if not host:
        return False
    try:
        return Portal.parse(f"[{host}]:{port}" if ":" in host else f"{host}:{port}").same_address(portal)
    except UsageError:
        return False


def discover_firmware(*, adm: Iscsiadm, cmd: Commands | None = None) -> list[DiscoveredTarget]:
    """Targets the boot firmware (iBFT) knows; a clear NotFound where the host has none. With ``cmd``, the
    kernel's iBFT reader is loaded first where it is missing."""
    if cmd is not None:
        from iscsi_client.system.firmware import load_reader

        load_reader(adm.root, cmd)
    try:
        result = adm.run(["-m", "discovery", "-t", "fw"], mutating=False, action="reading firmware targets")
    except IscsiadmError as e:
        if e.rc in (21, 12):
            from iscsi_client.ops.firmware import NO_TABLE_HINT

            raise NotFoundError("this host's firmware has no iSCSI boot (iBFT) targets", hint=NO_TABLE_HINT) from None
        raise
    from iscsi_client.parsers.portal_lines import parse_portal_lines

    return parse_portal_lines(result.stdout)
