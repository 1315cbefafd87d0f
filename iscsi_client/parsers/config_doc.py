"""The initiator's configuration as a TOML document (``isc config dump`` / ``restore``): initiator name,
ifaces, discovery records (portal, type, discovery CHAP user), node records with their boot login, CHAP
user names and tuning settings, and the filesystems isc persisted. Never a secret: a dump can be mailed,
diffed and kept in git. Pure: building the document, rendering it (tomli-w) and reading it back (tomllib)
with every value validated before anything changes.

Like rtslib's dump and restore, the round trip is exact: dump -> restore on a clean host -> dump gives the
same text."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence

from iscsi_client.errors import UsageError
from iscsi_client.model import (
    DEFAULT_PORT,
    ISNS_PORT,
    DiscoveryRecord,
    Iface,
    Iqn,
    Node,
    Portal,
    check_setting,
)
from iscsi_client.records import field, record
from iscsi_client.startup_mode import Startup

SCHEMA = 1
HEADER = "# isc configuration"  # every dump's first line starts so: -o replaces such a file, no other
# The record settings a dump carries (besides startup and CHAP): the ones admins tune and doctor checks.
SETTINGS = ("node.session.scan", "node.session.timeo.replacement_timeout", "node.session.queue_depth",
            "node.session.cmds_max", "node.session.initial_login_retry_max",
            "node.conn[0].timeo.noop_out_interval", "node.conn[0].timeo.noop_out_timeout",
            "node.conn[0].iscsi.HeaderDigest", "node.conn[0].iscsi.DataDigest")


@record
class NodeEntry:
    target: Iqn
    portal: Portal
    iface: str = "default"
    startup: str = "manual"
    chap_user: str | None = None
    mutual_user: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    login: bool = False  # desired state (isc apply): the target should be logged in; dump: it has a session


@record
class MountEntry:
    target: str
    lun: int
    mountpoint: str
    fstype: str
    options: str
    spec: str
    mkfs: bool = False  # isc apply only: create the filesystem when the LUN has none (never dumped)


@record
class SecretFiles:
    """Where a desired state says a CHAP secret is (isc apply): files on this host, never the secret itself.
    ``name`` is a target IQN, or a discovery portal's host:port when ``discovery``."""

    name: str
    password_file: str
    mutual_password_file: str | None = None
    discovery: bool = False


@record
class ConfigDoc:
    initiator: str | None = None
    ifaces: tuple[Iface, ...] = ()
    nodes: tuple[NodeEntry, ...] = ()
    mounts: tuple[MountEntry, ...] = field(default_factory=tuple)
    discovery: tuple[DiscoveryRecord, ...] = ()
    secret_files: tuple[SecretFiles, ...] = ()  # never dumped: a dump names no file of the host's


def node_entry(node: Node, record: Mapping[str, str | None], *, logged_in: bool = False) -> NodeEntry:
    """What a dump keeps of one record (user names, never the secrets; whether it has a session)."""
    settings = tuple((k, v) for k in SETTINGS if (v := record.get(k)) is not None)
    chap = node.chap.method == "CHAP"
    return NodeEntry(node.target, node.portal, node.iface, node.startup,
                     node.chap.username if chap else None, node.chap.username_in if chap else None, settings,
                     logged_in)


def render(doc: ConfigDoc, *, version: str) -> str:
    """The document as TOML. Every entry of a list is its own ``[[section]]`` with one key per line, and
    tables are ``[section]`` blocks: tomli-w on its own writes lists of short tables inline and switches
    to sections once one entry passes 100 characters, so a longer IQN would rewrite every line of a
    list in the next diff. tomli-w still writes (and escapes) each key and value."""
    import tomli_w

    def block(header: str, table: dict[str, object]) -> str:
        return f"\n{header}\n" + tomli_w.dumps({k: v for k, v in table.items() if not isinstance(v, dict)})

    data = as_data(doc, version=version)
    out = [HEADER + " (isc config dump). No secrets: CHAP secrets are given to 'isc config restore'.\n",
           tomli_w.dumps({k: v for k, v in data.items() if not isinstance(v, (dict, list))})]
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(block(f"[{key}]", value))
        elif isinstance(value, list):
            for entry in value:
                out.append(block(f"[[{key}]]", entry))
                out += [block(f"[{key}.{sub}]", table) for sub, table in entry.items() if isinstance(table, dict)]
    return "".join(out)


def as_data(doc: ConfigDoc, *, version: str) -> dict[str, object]:
    """The document as plain data: what the TOML holds (and what ``--json`` shows)."""
    data: dict[str, object] = {"schema_version": SCHEMA, "generated_by": f"isc {version}"}
    if doc.initiator:
        data["initiator"] = {"name": doc.initiator}
    if doc.ifaces:
        data["ifaces"] = [{k: v for k, v in (("name", i.name), ("netdev", i.net_ifacename),
                                             ("hwaddress", i.hwaddress), ("initiator_name", i.initiatorname))
                           if v is not None} for i in doc.ifaces]
    if doc.discovery:
        data["discovery"] = [{k: v for k, v in (("portal", d.portal.address), ("type", d.method),
                                                ("chap_user", d.chap_user), ("mutual_user", d.mutual_user))
                              if v is not None} for d in doc.discovery]
    nodes = []
    for n in doc.nodes:
        # the portal group tag is kept: records with one (discovery's layout) hold one record per iface
        portal = str(n.portal) if n.portal.tpgt not in (None, -1) else n.portal.address
        entry: dict[str, object] = {"target": str(n.target), "portal": portal,
                                    "iface": n.iface, "startup": n.startup}
        if n.chap_user:
            entry["chap_user"] = n.chap_user
        if n.mutual_user:
            entry["mutual_user"] = n.mutual_user
        if n.login:
            entry["login"] = True
        if n.settings:
            entry["settings"] = dict(n.settings)
        nodes.append(entry)
    if nodes:
        data["nodes"] = nodes
    if doc.mounts:
        data["mounts"] = [{"target": m.target, "lun": m.lun, "mountpoint": m.mountpoint, "fstype": m.fstype,
                           "options": m.options, "spec": m.spec} for m in doc.mounts]
    return data


def _table(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise UsageError(f"{where} must be a table")
    return value


def _text(t: Mapping[str, object], key: str, where: str, *, required: bool = True) -> str | None:
    value = t.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or not value.isprintable():
        raise UsageError(f"{where}: {key} must be a non-empty string")
    return value


def _list(data: Mapping[str, object], key: str) -> Sequence[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise UsageError(f"{key} must be an array of tables ([[{key}]])")
    return value


def _flag(t: Mapping[str, object], key: str, where: str) -> bool:
    value = t.get(key, False)
    if not isinstance(value, bool):
        raise UsageError(f"{where}: {key} must be true or false")
    return value


INLINE_SECRETS = ("password", "mutual_password", "secret", "password_in")


def _secret_files(t: Mapping[str, object], where: str, name: str, *, user: str | None, mutual: str | None,
                  discovery: bool = False) -> SecretFiles | None:
    """An entry's password_file / mutual_password_file (absolute paths); a secret written inline is refused
    without quoting it."""
    for key in INLINE_SECRETS:
        if key in t:
            raise UsageError(f"{where} ({name}): {key} holds a secret inside the document",
                             hint="a document never holds a secret: name a root-only file with password_file, "
                                  "or give the secrets with --secrets FILE")
    files = [_text(t, key, where, required=False) for key in ("password_file", "mutual_password_file")]
    for key, path in zip(("password_file", "mutual_password_file"), files, strict=True):
        if path is not None and not path.startswith("/"):  # not echoed: it may be a secret typed in its place
            raise UsageError(f"{where} ({name}): {key} is not an absolute path",
                             hint="secret files are named from / (the document may be applied from anywhere)")
    password, mutual_file = files
    if password is None and mutual_file is None:
        return None
    if password is None or user is None:
        raise UsageError(f"{where} ({name}): a secret file needs chap_user and password_file")
    if (mutual_file is None) != (mutual is None):
        raise UsageError(f"{where} ({name}): mutual_user and mutual_password_file go together")
    return SecretFiles(name, password, mutual_file, discovery)


def _one_file_per_name(refs: Sequence[SecretFiles]) -> tuple[SecretFiles, ...]:
    """A target's records (one per portal) may each name its files: they must name the same ones."""
    seen: dict[tuple[bool, str], SecretFiles] = {}
    for ref in refs:
        other = seen.setdefault((ref.discovery, ref.name), ref)
        if other != ref:
            raise UsageError(f"{ref.name}: its entries name different secret files",
                             hint="one password_file (and mutual_password_file) per target")
    return tuple(seen.values())


def parse(text: str) -> ConfigDoc:
    """Read and validate a dump; a clear error (exit 2) naming the entry at fault, before anything changes."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"not a valid TOML document: {e}") from None
    if data.get("schema_version") != SCHEMA:
        raise UsageError(f"schema_version {data.get('schema_version')!r} is not {SCHEMA}",
                         hint="dump it again with this isc ('isc config dump')")
    initiator = None
    if "initiator" in data:
        initiator = str(Iqn.parse(_text(_table(data["initiator"], "[initiator]"), "name", "[initiator]") or ""))
    ifaces = []
    for i, raw in enumerate(_list(data, "ifaces")):
        where = f"ifaces[{i}]"
        t = _table(raw, where)
        name = _text(t, "name", where) or ""
        netdev, mac = _text(t, "netdev", where, required=False), _text(t, "hwaddress", where, required=False)
        iname = _text(t, "initiator_name", where, required=False)
        if netdev is not None and mac is not None:
            raise UsageError(f"{where} ({name}): give one of netdev or hwaddress, not both")
        if netdev is None and mac is None and iname is None:
            raise UsageError(f"{where} ({name}): give netdev, hwaddress or initiator_name")
        ifaces.append(Iface(name, "tcp", mac, None, netdev, str(Iqn.parse(iname)) if iname else None))
    discovery = []
    refs: list[SecretFiles] = []
    for i, raw in enumerate(_list(data, "discovery")):
        where = f"discovery[{i}]"
        t = _table(raw, where)
        method = _text(t, "type", where, required=False) or "sendtargets"
        if method not in ("sendtargets", "isns"):
            raise UsageError(f"{where}: type {method!r} is not sendtargets or isns")
        portal = Portal.parse(_text(t, "portal", where) or "",
                              default_port=ISNS_PORT if method == "isns" else DEFAULT_PORT).without_tpgt()
        user, mutual = _text(t, "chap_user", where, required=False), _text(t, "mutual_user", where, required=False)
        if user is not None and method == "isns":
            raise UsageError(f"{where} ({portal.address}): open-iscsi has no CHAP for iSNS")
        if mutual is not None and user is None:
            raise UsageError(f"{where} ({portal.address}): mutual_user needs chap_user")
        discovery.append(DiscoveryRecord(portal, method, "CHAP" if user else "None", user, mutual))
        if ref := _secret_files(t, where, portal.address, user=user, mutual=mutual, discovery=True):
            refs.append(ref)
    nodes = []
    for i, raw in enumerate(_list(data, "nodes")):
        where = f"nodes[{i}]"
        t = _table(raw, where)
        target = Iqn.parse(_text(t, "target", where) or "")
        portal = Portal.parse(_text(t, "portal", where) or "")
        startup = _text(t, "startup", where, required=False) or "manual"
        try:
            Startup(startup)
        except ValueError:
            raise UsageError(f"{where} ({target}): startup {startup!r} is not automatic, manual or onboot") from None
        settings_raw = _table(t.get("settings", {}), f"{where}.settings")
        settings = []
        for k, v in settings_raw.items():
            if not isinstance(v, str):
                raise UsageError(f"{where}.settings: {k} must be a string (as iscsiadm shows it)")
            check_setting(k, v)
            settings.append((k, v))
        user, mutual = _text(t, "chap_user", where, required=False), _text(t, "mutual_user", where, required=False)
        nodes.append(NodeEntry(target, portal, _text(t, "iface", where, required=False) or "default", startup,
                               user, mutual, tuple(settings), _flag(t, "login", where)))
        if ref := _secret_files(t, where, str(target), user=user, mutual=mutual):
            refs.append(ref)
    mounts = []
    for i, raw in enumerate(_list(data, "mounts")):
        where = f"mounts[{i}]"
        t = _table(raw, where)
        lun = t.get("lun")
        if not isinstance(lun, int) or lun < 0:
            raise UsageError(f"{where}: lun must be a number")
        mounts.append(MountEntry(str(Iqn.parse(_text(t, "target", where) or "")), lun,
                                 _text(t, "mountpoint", where) or "", _text(t, "fstype", where) or "",
                                 _text(t, "options", where) or "", _text(t, "spec", where) or "",
                                 _flag(t, "mkfs", where)))
    return ConfigDoc(initiator, tuple(ifaces), tuple(nodes), tuple(mounts), tuple(discovery),
                     _one_file_per_name(refs))
