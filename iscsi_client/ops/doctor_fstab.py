"""isc doctor's checks of fstab and boot: iSCSI filesystems with _netdev, nofail and stable names, the boot
login and LUN scan they need, mount units, remote-fs.target and multipathd at boot, and filesystems mounted by
hand that a reboot would lose."""

from __future__ import annotations

import re

from iscsi_client.kernel_model import BlockDevice
from iscsi_client.ops.doctor_facts import Facts, FstabLine
from iscsi_client.ops.doctor_finding import FAILURE, OK, WARNING, Finding
from iscsi_client.ops.doctor_finding import finding as _f
from iscsi_client.parsers.fstab import FstabEntry


def _iscsi_fs(f: Facts) -> dict[str, tuple[str, BlockDevice]]:
    """Identifiers that name an iSCSI filesystem (UUID=..., /dev/sdX, by-id/by-path links, maps) -> target."""
    out: dict[str, tuple[str, BlockDevice]] = {}
    for v in f.views:
        for lun in v.luns:
            for dev in (*(lun.disk.with_partitions() if lun.disk else ()), lun.map):
                if dev is None:
                    continue
                t = (str(v.session.target), dev)
                out[dev.devnode] = t
                out.update({link: t for link in dev.links})
                if dev.fs_uuid:
                    out[f"UUID={dev.fs_uuid}"] = t
                if dev.dm_name:
                    out[f"/dev/mapper/{dev.dm_name}"] = t
    return out


def iscsi_fstab_lines(f: Facts) -> list[tuple[FstabLine, str | None]]:
    """The fstab lines of iSCSI filesystems (a known iSCSI device, isc's comment, a by-path iSCSI link), each
    with its target when known."""
    known = _iscsi_fs(f)
    out: list[tuple[FstabLine, str | None]] = []
    for line in f.fstab:
        hit = known.get(line.entry.spec)
        target = hit[0] if hit else (line.isc_comment.split()[0] if line.isc_comment else None)
        if hit is not None or line.isc_comment is not None or "-iscsi-" in line.entry.spec:
            out.append((line, target))
    return out


def fstab(f: Facts) -> list[Finding]:
    out = []
    known = _iscsi_fs(f)
    startup: dict[str, set[str]] = {}
    unscanned: dict[str, list[str]] = {}
    iscsi_entries: list[FstabEntry] = []
    for n in f.nodes:
        startup.setdefault(str(n.target), set()).add(n.startup)
        if n.scan == "manual" and n.startup == "automatic":
            unscanned.setdefault(str(n.target), []).append(n.portal.address)
    for line, target in iscsi_fstab_lines(f):
        e = line.entry
        hit = known.get(e.spec)
        iscsi_entries.append(e)
        opts = e.option_list
        if "_netdev" not in opts:
            out.append(_f("ISC040", FAILURE, f"{e.mountpoint}: iSCSI filesystem without _netdev; boot waits for it "
                          "before the network and iSCSI are up (emergency mode or a 90 s hang)",
                          f"add _netdev,nofail to the options of {e.mountpoint} in /etc/fstab", e.mountpoint))
        elif "nofail" not in opts:
            out.append(_f("ISC040", WARNING, f"{e.mountpoint}: no nofail; an unreachable target stops the boot",
                          f"add nofail to the options of {e.mountpoint} in /etc/fstab", e.mountpoint))
        if re.fullmatch(r"/dev/sd[a-z]+\d*", e.spec):
            better = f"UUID={hit[1].fs_uuid}" if hit and hit[1].fs_uuid else "UUID=<filesystem UUID>"
            out.append(_f("ISC041", FAILURE, f"{e.mountpoint} is mounted by kernel name {e.spec}, which changes "
                          "between boots and logins", f"use {better} in /etc/fstab (isc persist does)", e.mountpoint))
        if target and startup.get(target) and "automatic" not in startup[target]:
            out.append(_f("ISC042", FAILURE, f"{e.mountpoint} needs {target}, whose records have node.startup manual: "
                          "nothing logs in at boot, so the mount is missing after reboot",
                          f"isc startup {target} automatic", e.mountpoint))
        if target and unscanned.get(target):
            portal = unscanned[target][0]
            out.append(_f("ISC043", FAILURE, f"{e.mountpoint} needs {target}, whose boot login on "
                          f"{', '.join(unscanned[target])} does not scan LUNs (node.session.scan manual): the "
                          "session comes up at boot without the disk, and the mount finds no device",
                          f"isc nodes set {target} -p {portal} node.session.scan=auto",
                          e.mountpoint))
    out += _mounted_not_persistent(f)
    out += _boot_mount_units(f, iscsi_entries)
    return out or [_f("ISC040", OK, "fstab: iSCSI filesystems use _netdev, stable names and boot logins")]


def _boot_mount_units(f: Facts, iscsi_entries: list[FstabEntry]) -> list[Finding]:
    """What must be enabled for iSCSI fstab lines to mount at boot: remote-fs.target (systemd starts every
    _netdev mount from it), and multipathd when a line names a multipath map."""
    out = []
    netdev = [e for e in iscsi_entries if "_netdev" in e.option_list]
    if netdev and f.units.get("remote-fs.target") is False:
        out.append(_f("ISC045", FAILURE, f"remote-fs.target is not enabled: systemd starts _netdev mounts from it, so "
                      f"{', '.join(e.mountpoint for e in netdev)} stay unmounted after a reboot",
                      "systemctl enable remote-fs.target", "remote-fs.target"))
    mapped = [e for e in iscsi_entries if "dm-uuid-mpath-" in e.spec or e.spec.startswith("/dev/mapper/")]
    if mapped and f.units.get("multipathd.service") is False:
        out.append(_f("ISC046", FAILURE, f"{', '.join(e.mountpoint for e in mapped)} need a multipath map, but "
                      "multipathd.service is not enabled: at boot no map is made and the mount has no device",
                      "systemctl enable multipathd.service", "multipathd.service"))
    return out


def _mounted_not_persistent(f: Facts) -> list[Finding]:
    """iSCSI filesystems mounted by hand: neither fstab nor a mount unit brings them back after a reboot."""
    from iscsi_client.system.services import mount_unit_name

    in_fstab = {line.entry.mountpoint for line in f.fstab}
    out: list[Finding] = []
    seen: set[str] = set()
    for v in f.views:
        for lun in v.luns:
            whole = lun.map or lun.disk
            devices = [whole] if whole is not None else []
            if lun.map is None and lun.disk is not None:
                devices += lun.disk.partitions
            for dev in devices:
                for mp in dev.mountpoints:
                    if mp in seen or mp in in_fstab or mount_unit_name(mp) in f.mount_units:
                        continue
                    seen.add(mp)
                    fix = (f"isc persist {v.session.target}/{lun.lun} {mp}" if dev is whole else
                           f"add {mp} to /etc/fstab by UUID={dev.fs_uuid or '...'} with _netdev,nofail")
                    out.append(_f("ISC044", WARNING, f"{mp} is mounted from {v.session.target} ({dev.devnode}) but "
                                  "is not in /etc/fstab: after a reboot it is not mounted again", fix, mp))
    return out
