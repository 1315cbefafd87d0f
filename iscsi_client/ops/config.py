"""``isc config dump`` and ``restore``: the initiator's setup as a TOML document and back.

Restore validates the whole document (and the secrets file) before it changes anything, then converges:
ifaces, discovery records with their discovery CHAP (no discovery is run), static node records (no
discovery needed), their settings and boot login in one exec per target and iface, CHAP from the secrets
file. What needs live devices (the persisted filesystems) is not done
blindly: restore returns the ``isc persist`` commands to run once the LUNs are logged in. The initiator
name is set only when asked: copying one host's name to another is the mistake doctor's ISC003 warns about.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from iscsi_client import records
from iscsi_client.errors import InUseError, UsageError
from iscsi_client.model import DiscoveryRecord, Iqn, Portal, Secret
from iscsi_client.ops.chap import ChapRequest, chap_in_place, discovery_chap_settings, set_chap
from iscsi_client.ops.ifaces import add_iface
from iscsi_client.ops.initiator import set_initiator
from iscsi_client.ops.node_settings import set_node_values
from iscsi_client.ops.nodes import add_node
from iscsi_client.ops.startup import KEYS as STARTUP_KEYS
from iscsi_client.parsers import config_doc
from iscsi_client.parsers import fstab as fstab_text
from iscsi_client.records import record
from iscsi_client.system import fstab as fstab_file
from iscsi_client.system import ifacedb, initiator_file, nodedb, sysfs
from iscsi_client.system.files import read_head, write_atomic
from iscsi_client.system.iscsiadm import Arg, Iscsiadm, discoverydb_args, update_args
from iscsi_client.system.root import Root
from iscsi_client.system.secret_file import read_private_file, read_secret_file


def dump(*, root: Root) -> config_doc.ConfigDoc:
    """Everything read from files: works under --root (an image, a snapshot) as on the live host."""
    name, _ = initiator_file.read_initiator(root)
    ifaces = tuple(i for i in ifacedb.read_ifaces(root) if i.name not in ifacedb.BUILTIN_NAMES)
    sessions = sysfs.read_sessions(root)
    nodes = tuple(config_doc.node_entry(n, rec, logged_in=any(
        s.target == n.target and s.portal.same_address(n.portal) and s.iface == n.iface for s in sessions))
        for n, rec in nodedb.read_records(root))
    mounts = tuple(config_doc.MountEntry(t, lun, e.mountpoint, e.fstype, e.options, e.spec)
                   for t, lun, e in fstab_text.owned_entries(fstab_file.read_fstab(root)))
    _refuse_bytes(nodes, mounts)
    return config_doc.ConfigDoc(name, ifaces, nodes, mounts, tuple(nodedb.read_discovery(root)))


def _refuse_bytes(nodes: tuple[config_doc.NodeEntry, ...], mounts: tuple[config_doc.MountEntry, ...]) -> None:
    """A value with bytes that are not UTF-8 (kept as they are when read) cannot be written to TOML; a dump
    that replaced them would restore another CHAP user name or mount point without a word."""
    def bad(value: str | None) -> bool:
        try:
            (value or "").encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    for n in nodes:
        for what, value in (("chap user", n.chap_user), ("mutual user", n.mutual_user), *n.settings):
            if bad(value):
                raise UsageError(f"the record of {n.target} on {n.portal.address} has a {what} with bytes that are "
                                 "not UTF-8; a TOML dump cannot hold it as it is",
                                 hint=f"set it again in UTF-8 (isc chap {n.target} --user NAME, or isc nodes set)")
    for m in mounts:
        if bad(m.mountpoint) or bad(m.spec) or bad(m.options):
            raise UsageError(f"isc's fstab line for {m.target} lun {m.lun} has bytes that are not UTF-8; a TOML "
                             "dump cannot hold it as it is", hint="isc unpersist it and persist it again")


def write_dump(path: Path, text: str, *, force: bool, dry_run: bool) -> Path | None:
    """Write a dump to FILE atomically (a backup kept); returns the backup. A mistyped -o (/etc/passwd) must
    not replace a file that is no dump: isc's dumps start with their own comment line; an empty or a new
    file is fine, anything else needs ``force``."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory", hint="name a file: -o DIR/isc.toml")
    head = None if force else read_head(path)
    if head and not head.startswith(config_doc.HEADER.encode()):
        raise InUseError(f"{path} exists and is not an isc dump; not replacing it",
                         hint="check the path, or add --force to replace it (a backup is kept)")
    return None if dry_run else write_atomic(path, text, mode=0o644)


@record
class ChapSecrets:
    secret: Secret
    mutual: Secret | None = None


@record
class Secrets:
    """What a secrets file holds: per target IQN, and per discovery portal (host:port)."""

    targets: dict[str, ChapSecrets] = records.field(default_factory=dict)
    discovery: dict[str, ChapSecrets] = records.field(default_factory=dict)


def read_secrets(path: Path) -> Secrets:
    """A TOML file of CHAP secrets per target (and per discovery portal), readable by its owner only:

        ["iqn.2003-01.org.example:disk1"]
        password = "..."
        mutual_password = "..."      # for mutual CHAP

        [discovery."192.0.2.10:3260"]
        password = "..."
    """
    raw, loose = read_private_file(path, what="secrets file", limit=1 << 20)
    if loose:
        raise UsageError(f"the secrets file {path} is readable by group or others", hint=f"chmod 600 {path}")
    try:
        data = tomllib.loads(raw.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # never echo the parser's message: it quotes the line, which may hold a secret
        raise UsageError(f"the secrets file {path} is not a valid TOML document",
                         hint='one table per target: ["IQN"] then password = "..."') from None
    portals = data.pop("discovery", {})
    if not isinstance(portals, dict):
        raise UsageError(f"the secrets file {path}: discovery must hold one table per portal",
                         hint='[discovery."192.0.2.10:3260"] then password = "..."')
    discovery = {Portal.parse(portal).without_tpgt().address: _chap_secrets(path, portal, table)
                 for portal, table in portals.items()}
    targets = {str(Iqn.parse(target)): _chap_secrets(path, target, table) for target, table in data.items()}
    return Secrets(targets, discovery)


def with_secret_files(doc: config_doc.ConfigDoc, given: Secrets) -> Secrets:
    """``given`` (the --secrets file) plus the secrets in the files the document names (password_file,
    mutual_password_file): each root-only, its first line the secret. A target or portal with a secret in
    both places is refused: which one is meant cannot be guessed."""
    targets, discovery = dict(given.targets), dict(given.discovery)
    for ref in doc.secret_files:
        into = discovery if ref.discovery else targets
        if ref.name in into:
            raise UsageError(f"{ref.name}: a secret in the secrets file and a password_file in the document",
                             hint="keep one of the two")
        mutual = _named_secret(ref.mutual_password_file, ref.name) if ref.mutual_password_file else None
        into[ref.name] = ChapSecrets(_named_secret(ref.password_file, ref.name), mutual)
    return Secrets(targets, discovery)


def _named_secret(file: str, name: str) -> Secret:
    value, loose = read_secret_file(Path(file))
    if loose:
        raise UsageError(f"the secret file {file} (for {name}) is readable by group or others",
                         hint=f"chmod 600 {file}")
    if not value:
        raise UsageError(f"the secret file {file} (for {name}) is empty", hint="the secret is its first line")
    return Secret(value)


def _chap_secrets(path: Path, name: str, table: object) -> ChapSecrets:
    if not isinstance(table, dict) or not isinstance(table.get("password"), str):
        raise UsageError(f"the secrets file {path}: [{name!r}] needs password = \"...\"")
    mutual = table.get("mutual_password")
    if mutual is not None and not isinstance(mutual, str):
        raise UsageError(f"the secrets file {path}: mutual_password of {name} must be a string")
    return ChapSecrets(Secret(table["password"]), Secret(mutual) if mutual else None)


@record(frozen=False)
class RestoreReport:
    steps: list[str] = records.field(default_factory=list)
    skipped: list[str] = records.field(default_factory=list)  # what restore left for the admin, with the command
    persist_commands: list[str] = records.field(default_factory=list)


def restore(*, root: Root, adm: Iscsiadm, doc: config_doc.ConfigDoc, secrets: Secrets,
            with_initiator: bool = False, allow_long: bool = False) -> RestoreReport:
    report = RestoreReport()
    would = "would " if adm.dry_run else ""
    # validate everything first: CHAP requests with their secrets, before the first exec
    discovery_chap: dict[str, list[tuple[str, Arg]]] = {}
    for d in doc.discovery:
        if d.chap_user is None:
            continue
        found = secrets.discovery.get(d.portal.address)
        if found is None:
            report.skipped.append(f"discovery CHAP for {d.portal.address}: no secret in the secrets file; "
                                  f"isc discover {d.portal.address} --chap-user {d.chap_user} --password-file FILE")
            continue
        discovery_chap[d.portal.address] = discovery_chap_settings(
            d.method, d.chap_user, found.secret, allow_long, d.mutual_user if found.mutual else None, found.mutual)
    chap: dict[str, ChapRequest] = {}
    for n in doc.nodes:
        t = str(n.target)
        if n.chap_user is None or t in chap:
            continue
        s = secrets.targets.get(t)
        if s is None:
            continue
        req = ChapRequest(n.chap_user, s.secret, n.mutual_user if s.mutual else None, s.mutual, allow_long=allow_long)
        req.settings()  # raises on a bad length or a missing mutual secret
        chap[t] = req
    for t in {str(n.target) for n in doc.nodes if n.chap_user} - set(chap):
        report.skipped.append(f"CHAP for {t}: no secret in the secrets file; "
                              f"isc chap {t} --user USER --password-file FILE")

    if doc.initiator and with_initiator:
        change = set_initiator(root=root, name=Iqn.parse(doc.initiator), generate=False, dry_run=adm.dry_run)
        if change.changed:
            report.steps.append(f"{would}set the initiator name to {change.new} (restart iscsid to use it)")
    elif doc.initiator:
        current, _ = initiator_file.read_initiator(root)
        if current != doc.initiator:
            report.skipped.append(f"initiator name {doc.initiator} (this host has {current or 'none'}): "
                                  "pass --initiator-name only when restoring the same host")
    for i in doc.ifaces:
        added = add_iface(root=root, adm=adm, name=i.name, netdev=i.net_ifacename, hwaddress=i.hwaddress,
                          initiator_name=i.initiatorname)
        if added.status != "unchanged":
            report.steps.append(f"{would}add iface {i.name}")
    for d in doc.discovery:
        _restore_discovery(root, adm, d, discovery_chap.get(d.portal.address), report)
    for n in doc.nodes:
        if add_node(root=root, adm=adm, target=n.target, portal=n.portal, iface=n.iface):
            report.steps.append(f"{would}add record {n.target} on {n.portal.address} ({n.iface})")
    # settings and boot login: one call per target and portal set, only where values differ
    for n in doc.nodes:
        if adm.dry_run and not _record_exists(root, n.target, n.portal):
            report.steps.append(f"{would}set startup {n.startup} and {len(n.settings)} setting(s) on {n.target} "
                                f"{n.portal.address}")
            continue
        settings = [*((key, n.startup) for key in STARTUP_KEYS), *n.settings]
        done = set_node_values(root=root, adm=adm, target=n.target, portal=n.portal, settings=settings)
        if done.changed:
            report.steps.append(f"{would}set startup {n.startup} and {len(n.settings)} setting(s) on {n.target} "
                                f"{n.portal.address}")
    for t, req in chap.items():
        if adm.dry_run and not any(_record_exists(root, n.target, n.portal) for n in doc.nodes
                                   if str(n.target) == t):
            report.steps.append(f"{would}set CHAP user {req.user} on {t}")
            continue
        if chap_in_place(root, Iqn.parse(t), req):
            continue
        set_chap(root=root, adm=adm, target=Iqn.parse(t), portal=None, request=req)
        report.steps.append(f"{would}set CHAP user {req.user} on {t}")
    for m in doc.mounts:
        report.persist_commands.append(
            f"isc persist {m.target}/{m.lun} {m.mountpoint} --fstype {m.fstype}"
            + (f" --options {o}" if (o := ",".join(x for x in m.options.split(",")
                                                   if x not in ("_netdev", "nofail"))) else ""))
    return report


def _restore_discovery(root: Root, adm: Iscsiadm, d: DiscoveryRecord, chap: list[tuple[str, Arg]] | None,
                       report: RestoreReport) -> None:
    """The discovery record (so 'isc discover PORTAL' finds it with its CHAP); no discovery is run."""
    would = "would " if adm.dry_run else ""
    db = discoverydb_args(d.method, d.portal.address)
    values = nodedb.discovery_values(root, d.method, d.portal.address)
    if values is None:
        adm.run([*db, "-o", "new"], mutating=True, action=f"adding discovery record for {d.portal.address}")
        report.steps.append(f"{would}add {d.method} discovery record {d.portal.address}")
    want = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in chap or ()}
    if chap and not (values and all((values.get(k) or "") == v for k, v in want.items())):
        adm.run([*db, *update_args(chap)], mutating=True, action=f"setting discovery CHAP for {d.portal.address}")
        report.steps.append(f"{would}set discovery CHAP user {d.chap_user} on {d.portal.address}")


def _record_exists(root: Root, target: Iqn, portal: Portal) -> bool:
    return any(n.portal.same_address(portal) for n in nodedb.read_nodes(root, target=target))
