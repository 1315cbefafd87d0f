"""A multipath configuration for the iSCSI targets in use, and making the LUNs actually become maps.

- ``devices``: an entry per target vendor in use that the installed multipath-tools does not already know
  (checked against its built-in table, ``multipath -t``; 0.9.4 in Debian 12 has LIO-ORG).
- ``blacklist``: the host's local disks by WWID (never by sdX name, which can change between boots).
- ``find_multipaths strict`` (Debian's default) gives NO map for two paths until the WWID is registered:
  isc registers each iSCSI LUN's WWID (``multipath -a``) rather than loosening the policy for every disk.
"""

from __future__ import annotations

from iscsi_client import records
from iscsi_client.errors import IscError
from iscsi_client.kernel_model import BlockDevice, SessionView
from iscsi_client.parsers.multipath import conf_problems, ere_literal, has_device_entry
from iscsi_client.records import record
from iscsi_client.system import blockdev, multipath, nodedb
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root


@record
class VendorEntry:
    vendor: str
    product: str
    settings: tuple[tuple[str, str], ...]
    note: str


# The path checker is TUR for all of these: LIO, tgt and SCST answer TEST UNIT READY cheaply and report a
# dead path quickly; directio would issue real reads through the (possibly queueing) path.
VENDORS: dict[str, VendorEntry] = {
    "LIO-ORG": VendorEntry("LIO-ORG", ".*", (
        ("path_grouping_policy", "group_by_prio"), ("hardware_handler", '"1 alua"'), ("prio", "alua"),
        ("path_checker", "tur"), ("failback", "immediate"), ("no_path_retry", "12")),
        "Linux LIO (targetcli): implicit ALUA"),
    "IET": VendorEntry("IET", "VIRTUAL-DISK", (
        ("path_grouping_policy", "multibus"), ("path_checker", "tur"), ("failback", "immediate"),
        ("no_path_retry", "12")), "tgt (stgt) and IET: no ALUA, all paths equal"),
    "SCST": VendorEntry("SCST_(FIO|BIO)", ".*", (
        ("path_grouping_policy", "group_by_prio"), ("prio", "alua"), ("path_checker", "tur"),
        ("failback", "immediate"), ("no_path_retry", "12")), "SCST vdisk_fileio/vdisk_blockio"),
    "NETAPP": VendorEntry("NETAPP", "LUN.*", (
        ("path_grouping_policy", "group_by_prio"), ("hardware_handler", '"1 alua"'), ("prio", "alua"),
        ("path_checker", "tur"), ("failback", "immediate"), ("no_path_retry", "queue")),
        "NetApp ONTAP (only when the installed table lacks it)"),
}


def vendor_key(vendor: str) -> str | None:
    v = vendor.strip()
    if v.startswith("SCST_"):
        return "SCST"
    return v if v in VENDORS else None


@record(frozen=False)
class MultipathPlan:
    path: str  # host path of the file written
    old: str
    new: str
    lun_wwids: dict[str, str] = records.field(default_factory=dict)  # wwid -> one path device to register
    unregistered: list[str] = records.field(default_factory=list)
    blacklisted: list[tuple[str, str]] = records.field(default_factory=list)  # (device, wwid)
    vendors: list[str] = records.field(default_factory=list)
    builtin: list[str] = records.field(default_factory=list)
    written: bool = False
    backup: str | None = None
    maps_after: list[str] = records.field(default_factory=list)

    @property
    def diff(self) -> str:
        import difflib  # here: discover --login and connect import this module, a diff is shown by few runs

        return "".join(difflib.unified_diff(self.old.splitlines(keepends=True), self.new.splitlines(keepends=True),
                                            fromfile=f"{self.path} (now)", tofile=f"{self.path} (isc)"))

    @property
    def changed(self) -> bool:
        return self.old != self.new


def render(views: list[SessionView], local: list[BlockDevice], builtin_table: str,
           own: str = "") -> tuple[str, list[str], list[str]]:
    """(file text, vendors written, vendors the installed table already covers). ``own`` is isc's drop-in as
    it is now: ``multipath -t`` shows the configuration with it merged in, so an entry isc wrote itself is
    not taken for a built-in one (which would drop it on the next run and write it again on the one after)."""
    seen: dict[str, tuple[str, str]] = {}
    for v in views:
        for lun in v.luns:
            if lun.disk and lun.disk.vendor:
                key = vendor_key(lun.disk.vendor)
                if key:
                    seen.setdefault(key, (lun.disk.vendor.strip(), (lun.disk.model or "").strip()))
    written, builtin = [], []
    lines = ["# Written by isc (isc multipath config --write); isc may rewrite this file.",
             "# iSCSI LUNs are made maps by registering their WWIDs (multipath -a), so find_multipaths",
             "# can stay strict for every other disk.", "", "defaults {",
             "\tuser_friendly_names no", "}", ""]
    # A WWID with a '"' or a line break cannot be written in multipath.conf (no escapes in quotes); real
    # ones never have them, and such a disk is left to multipath's own defaults.
    black = [d for d in local if d.wwid and not set('"\n\r') & set(d.wwid)]
    if black:
        lines.append("blacklist {")
        for d in black:
            lines.append(f'\t# {d.name}: {d.vendor or ""} {d.model or ""}'.rstrip().replace("\n", " "))
            lines.append(f'\twwid "{ere_literal(d.wwid or "")}"')
        lines += ["}", ""]
    entries = []
    for key, (vendor, product) in sorted(seen.items()):
        if has_device_entry(builtin_table, vendor, product) and not has_device_entry(own, vendor, product):
            builtin.append(key)
            continue
        e = VENDORS[key]
        entries.append(e)
        written.append(key)
    if entries:
        lines.append("devices {")
        for e in entries:
            lines += [f"\t# {e.note}", "\tdevice {", f'\t\tvendor "{e.vendor}"', f'\t\tproduct "{e.product}"']
            lines += [f"\t\t{k} {v}" for k, v in e.settings]
            lines.append("\t}")
        lines += ["}", ""]
    if builtin:
        lines.append(f"# built into this multipath-tools already: {', '.join(builtin)}")
    return "\n".join(lines).rstrip("\n") + "\n", written, builtin


def plan(*, root: Root, cmd: Commands) -> MultipathPlan:
    views = blockdev.session_views(root)
    iscsi_disks = {lun.disk.name for v in views for lun in v.luns if lun.disk}
    local = blockdev.local_disks(root, iscsi_disks)
    table = multipath.builtin_table(cmd) if root.is_live else ""
    path = multipath.DROPIN
    old = multipath.read_dropin(root)
    text, written, builtin = render(views, local, table, own=old)
    p = MultipathPlan(path, old, text, vendors=written, builtin=builtin,
                      blacklisted=[(d.devnode, d.wwid or "") for d in local if d.wwid])
    p.lun_wwids = multipath_luns(root, views)
    registered = multipath.registered_wwids(root)
    p.unregistered = sorted(w for w in p.lun_wwids if w not in registered)
    return p


def multipath_luns(root: Root, views: list[SessionView]) -> dict[str, str]:
    """{wwid: one path device} of the iSCSI LUNs that should be maps. Only LUNs with more than one path
    (now, or by the target's records) qualify: a single-path LUN under multipath gains nothing and gets
    multipathd's short failover timeouts."""
    portals: dict[str, set[str]] = {}
    for n in nodedb.read_nodes(root):
        portals.setdefault(str(n.target), set()).add(n.portal.address)
    paths: dict[str, int] = {}
    for v in views:
        for lun in v.luns:
            if lun.disk and lun.disk.wwid:
                paths[lun.disk.wwid] = paths.get(lun.disk.wwid, 0) + 1
    out: dict[str, str] = {}
    for v in views:
        for lun in v.luns:
            if lun.disk and lun.disk.wwid and (paths[lun.disk.wwid] > 1 or
                                               len(portals.get(str(v.session.target), ())) > 1):
                out.setdefault(lun.disk.wwid, lun.disk.devnode)
    return out


def register_after_login(*, root: Root, cmd: Commands) -> list[str]:
    """Once isc's drop-in is installed, a login that gives a LUN several paths registers its WWID and
    reconfigures multipathd, so the map forms whatever order the admin ran login and config --write in
    (find_multipaths strict makes no map for an unregistered WWID). Returns the WWIDs registered; nothing
    happens on a host without the drop-in (multipath is the admin's choice, made once)."""
    if not root.is_live or not multipath.read_dropin(root):
        return []
    wanted = multipath_luns(root, blockdev.session_views(root))
    registered = multipath.registered_wwids(root)
    new = sorted(w for w in wanted if w not in registered)
    for wwid in new:
        multipath.register(cmd, wanted[wwid])
    if new:
        multipath.reconfigure(cmd)
    return new


def apply(*, root: Root, cmd: Commands, p: MultipathPlan) -> MultipathPlan:
    problems = conf_problems(p.new)
    if problems:  # isc wrote the text, from values read on this host: never write what multipathd cannot read
        raise IscError(f"refusing to write {p.path}: {'; '.join(problems)}",
                       hint="this is a bug in isc; please report it with 'isc --json multipath config'")
    if p.changed and not cmd.dry_run:
        p.backup = multipath.write_dropin(root, p.new)
        p.written = True
    if root.is_live:
        for wwid in p.unregistered:
            multipath.register(cmd, p.lun_wwids[wwid])
        multipath.reconfigure(cmd)
        if not cmd.dry_run:
            p.maps_after = sorted(m.wwid for m in multipath.show_maps(cmd))
    return p
