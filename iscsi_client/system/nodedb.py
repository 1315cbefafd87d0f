"""open-iscsi's node database, read straight from its files (fast, works under --root, and used by shell
completion). On the live host every write goes through iscsiadm (system/iscsiadm.py), which holds its own
locks; under --root (an image being prepared), where iscsiadm cannot run, `write_settings` edits the record
files the way iscsiadm would leave them.

Layouts written by iscsiadm 2.x:
  nodes/<target>/<ip>,<port>,<tpgt>/<iface>   records made by discovery
  nodes/<target>/<ip>,<port>                  records made by ``-o new`` (tpgt -1)
  send_targets/<ip>,<port>/st_config          SendTargets discovery records
  isns/<ip>,<port>/isns_config                iSNS discovery records
"""

from __future__ import annotations

import os

from iscsi_client.records import record
from iscsi_client.system.files import dir_exists, read_text
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # not typing's own: a TAB press imports this module, and importing typing costs ~3 ms
if TYPE_CHECKING:  # the model and parsers load on first use: completion only lists directory names
    from collections.abc import Iterator, Sequence
    from pathlib import Path  # read_records works on strings: login and discover do not import pathlib

    from iscsi_client.model import DiscoveryRecord, Iqn, Node

NODE_DIRS = ("/etc/iscsi/nodes", "/var/lib/iscsi/nodes")
# discovery records: one directory per portal ("HOST,PORT") holding st_config or isns_config
DISCOVERY_DIRS = (("/etc/iscsi/send_targets", "st_config"), ("/var/lib/iscsi/send_targets", "st_config"),
                  ("/etc/iscsi/isns", "isns_config"), ("/var/lib/iscsi/isns", "isns_config"))


def node_dir(root: Root) -> Path | None:
    found = _node_dir(root)
    return root(found) if found is not None else None


def _node_dir(root: Root) -> str | None:
    """The host path of the node directory in use (iscsiadm's build picks /etc/iscsi or /var/lib/iscsi)."""
    for d in NODE_DIRS:
        if dir_exists(root.str(d)):
            return d
    return None


def record_files(base: Path) -> list[tuple[Path, str | None]]:
    """Each record file under the node directory, with its iface (None for a flat ``-o new`` record)."""
    from pathlib import Path

    return [(Path(f), iface) for f, iface in _record_files(str(base))]


def _record_files(base: str) -> list[tuple[str, str | None]]:
    """record_files as strings. os.scandir, not pathlib: the entry types come with the listing, with no stat
    per entry."""
    out: list[tuple[str, str | None]] = []
    for target_dir, is_dir in _listing(base):
        if not is_dir:
            continue
        for entry, entry_is_dir in _listing(target_dir):
            if not entry_is_dir:
                out.append((entry, None))
            else:
                out.extend((f, f.rsplit("/", 1)[1]) for f, f_is_dir in _listing(entry) if not f_is_dir)
    return out


def _target_dir(base: str, path: str) -> str:
    """The name of the target directory a record file under ``base`` lies in (iscsiadm names it after the
    target)."""
    return path[len(base):].lstrip("/").split("/", 1)[0]


def _listing(path: str) -> list[tuple[str, bool]]:
    """(path, is a directory) of each directory and regular file in a directory (links followed), sorted;
    nothing when the directory is gone."""
    try:
        with os.scandir(path) as it:
            return sorted((e.path, e.is_dir()) for e in it if e.is_dir() or e.is_file())
    except OSError:
        return []


def read_nodes(root: Root, *, target: Iqn | None = None) -> list[Node]:
    """All node records (or those of one target), sorted by target and portal."""
    return [n for n, _ in read_records(root, target=target)]


# A record's text -> its Node and settings: connect and apply read the same records dozens of times in one run
# (each step checks, runs, verifies), and parsing is most of a read. Keyed by the file's whole text, so a
# record iscsiadm has changed is parsed again.
_PARSED: dict[tuple[str, str | None], tuple[Node | None, dict[str, str | None]]] = {}


def read_records(root: Root, *, target: Iqn | None = None) -> list[tuple[Node, dict[str, str | None]]]:
    """Each record as a Node and as its raw settings (secrets included: never show these)."""
    from iscsi_client.parsers.record import node_from_record, parse_record

    found = _node_dir(root)
    if found is None:
        return []
    base = root.str(found)
    out: list[tuple[Node, dict[str, str | None]]] = []
    for path, iface in _record_files(base):
        if target is not None and _target_dir(base, path) != str(target):
            continue
        text = read_text(path)
        if text is None:  # deleted since the listing
            continue
        known = _PARSED.get((text, iface))
        if known is None:
            rec = parse_record(text)
            known = _PARSED[(text, iface)] = (node_from_record(rec, iface=iface), rec)
        node, rec = known
        if node is not None:
            out.append((node, dict(rec)))  # a copy: a caller may change its own
    return sorted(out, key=lambda r: (str(r[0].target), r[0].portal.host, r[0].portal.port, r[0].iface))


def record_values(root: Root, keys: tuple[str, ...]) -> list[tuple[Iqn, dict[str, str | None]]]:
    """Each record's target and the values of ``keys`` alone (None where unset or ``<empty>``), in file
    order. The target is its directory's name, as iscsiadm files it; a directory whose name is no valid
    iSCSI name is left out. The lines that name no key are not parsed, nor is a Node built: after a
    64-session logout, read_records took 0.37 s in the TCG lab guest beside the logout it slowed."""
    from iscsi_client.errors import UsageError
    from iscsi_client.model import Iqn
    from iscsi_client.parsers.record import parse_record

    found = _node_dir(root)
    if found is None:
        return []
    base = root.str(found)
    out: list[tuple[Iqn, dict[str, str | None]]] = []
    targets: dict[str, Iqn | None] = {}
    for path, _ in _record_files(base):
        name = _target_dir(base, path)
        if name not in targets:
            try:
                targets[name] = Iqn.parse(name)
            except UsageError:
                targets[name] = None
        target = targets[name]
        text = read_text(path) if target is not None else None
        if target is None or text is None:  # not a target's directory; a record deleted since the listing
            continue
        got = parse_record("\n".join(ln for ln in text.splitlines() if ln.lstrip().startswith(keys)))
        out.append((target, {k: got.get(k) for k in keys}))
    return out


ISCSID_CONF = "/etc/iscsi/iscsid.conf"
SECRET_KEYS = ("node.session.auth.password", "node.session.auth.password_in",
               "discovery.sendtargets.auth.password", "discovery.sendtargets.auth.password_in")


@record
class SecretFile:
    """A file of open-iscsi's that holds CHAP secrets: which settings (never their values) and its mode."""

    path: str  # the host path (/etc/iscsi/...)
    mode: int  # permission bits
    keys: tuple[str, ...]
    defaults: bool = False  # iscsid.conf: values copied into every record created afterwards


def secret_files(root: Root) -> list[SecretFile]:
    """Node records, discovery records and iscsid.conf that hold a CHAP secret."""
    from iscsi_client.parsers.record import parse_record

    defaults = root.str(ISCSID_CONF)
    candidates = [defaults]
    found = _node_dir(root)
    if found is not None:
        candidates += [path for path, _ in _record_files(root.str(found))]
    candidates += [config for config, _ in _discovery_config_files(root)]
    out: list[SecretFile] = []
    for path in candidates:
        try:
            mode = os.stat(path).st_mode & 0o777
            text = read_text(path)
        except OSError:
            continue
        if text is None:
            continue
        values = parse_record(text)
        keys = tuple(k for k in SECRET_KEYS if values.get(k))
        if keys:
            host = "/" + os.path.relpath(path, root.path) if not root.is_live else path
            out.append(SecretFile(host, mode, keys, defaults=path == defaults))
    return out


def read_discovery(root: Root) -> list[DiscoveryRecord]:
    """The discovery records (what ``iscsiadm -m discoverydb`` lists), with CHAP user names but never
    a secret, sorted by portal."""
    out: dict[tuple[str, str], DiscoveryRecord] = {}
    for rec, _ in _discovery_records(root):
        out.setdefault((rec.method, rec.portal.address), rec)
    return sorted(out.values(), key=lambda r: (r.portal.host, r.portal.port, r.method))


def discovery_values(root: Root, method: str, address: str) -> dict[str, str | None] | None:
    """The raw settings of one discovery record (secrets included: never show these); None if absent."""
    for rec, values in _discovery_records(root):
        if rec.method == method and rec.portal.address == address:
            return values
    return None


def _discovery_records(root: Root) -> list[tuple[DiscoveryRecord, dict[str, str | None]]]:
    from iscsi_client.parsers.record import discovery_from_record, parse_record

    out: list[tuple[DiscoveryRecord, dict[str, str | None]]] = []
    for config, _ in _discovery_config_files(root):
        text = read_text(config)
        if text is None:  # deleted since the listing
            continue
        values = parse_record(text)
        rec = discovery_from_record(values)
        if rec is not None:
            out.append((rec, values))
    return out


def discovery_config_files(root: Root) -> Iterator[tuple[Path, str]]:
    """(HOST,PORT/st_config or isns_config, sendtargets|isns) for each discovery record directory. Plain
    `-m discovery -t isns` leaves links named TARGET,HOST,PORT,TPGT,IFACE beside them: no config file, no
    record."""
    from pathlib import Path

    for config, method in _discovery_config_files(root):
        yield Path(config), method


def _discovery_config_files(root: Root) -> list[tuple[str, str]]:
    """discovery_config_files as strings."""
    out: list[tuple[str, str]] = []
    for base, name in DISCOVERY_DIRS:
        d = root.str(base)
        if not dir_exists(d):
            continue
        for portal_dir in sorted(os.listdir(d)):
            config = f"{d}/{portal_dir}/{name}"
            if os.path.isfile(config):
                out.append((config, "sendtargets" if name == "st_config" else "isns"))
    return out


def write_settings(root: Root, nodes: Sequence[Node], settings: Sequence[tuple[str, str]]) -> list[Path]:
    """Set ``name = value`` in the record files of these nodes (under --root only): each named line is
    replaced in place, a missing one is appended, every other line stays byte-for-byte. Atomic per file;
    no backup beside it (iscsiadm would read a copy in a portal directory as a record of another iface)."""
    from iscsi_client.parsers.record import node_from_record, parse_record, set_record_values
    from iscsi_client.system.files import write_atomic

    if root.is_live:
        raise RuntimeError("write_settings is for --root images; on the live host iscsiadm writes records")
    base = node_dir(root)
    wanted = {n.key for n in nodes}
    written: list[Path] = []
    if base is None:
        return written
    for path, iface in record_files(base):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        node = node_from_record(parse_record(text), iface=iface)
        if node is None or node.key not in wanted:
            continue
        write_atomic(path, set_record_values(text, settings), keep_backup=False)
        written.append(path)
    return written


def discovery_portals(root: Root) -> dict[str, str]:
    """Discovery portal address (host:port, [v6]:port) -> its type, from directory names only (TAB
    completion)."""
    out: dict[str, str] = {}
    for config, method in discovery_config_files(root):
        host, _, port = config.parent.name.rpartition(",")
        if host and port.isdigit():
            out.setdefault(f"[{host}]:{port}" if ":" in host else f"{host}:{port}", method)
    return out


def record_portals(root: Root) -> dict[str, list[str]]:
    """Target -> portal addresses (host:port, [v6]:port), from directory and file names only: what TAB
    completion offers, without reading a record."""
    base = node_dir(root)
    out: dict[str, list[str]] = {}
    if base is None:
        return out
    for tdir in sorted(p for p in base.iterdir() if p.is_dir()):
        portals: list[str] = []
        for p in sorted(tdir.iterdir()):
            parts = p.name.split(",")
            if len(parts) >= 2:
                host = f"[{parts[0]}]" if ":" in parts[0] else parts[0]
                address = f"{host}:{parts[1]}"
                if address not in portals:
                    portals.append(address)
        out[tdir.name] = portals
    return out
