"""Which boot services the distribution uses for iSCSI and multipath, and enabling them (systemctl, which
also works offline with --root)."""

from __future__ import annotations

import os

from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
# Debian/Ubuntu: open-iscsi.service logs in automatic nodes at boot; RHEL/SUSE: iscsi.service.
LOGIN_UNITS = ("open-iscsi.service", "iscsi.service")
DAEMON_UNITS = ("iscsid.socket", "iscsid.service")
MULTIPATH_UNIT = "multipathd.service"
REMOTE_FS_UNIT = "remote-fs.target"  # what pulls _netdev mounts in at boot


def unit_exists(root: Root, unit: str) -> bool:
    return any(os.path.exists(root.str(f"{d}/{unit}")) for d in UNIT_DIRS)


def mount_unit_name(mountpoint: str) -> str:
    """The mount unit systemd names after a path (systemd-escape --path --suffix=mount): /srv/my-data ->
    srv-my\\x2ddata.mount."""
    parts = [p for p in mountpoint.split("/") if p]
    if not parts:
        return "-.mount"
    out = []
    for n, part in enumerate(parts):
        chars = []
        for i, c in enumerate(part):
            keep = c.isascii() and (c.isalnum() or c in ":_" or (c == "." and (n, i) != (0, 0)))
            chars.append(c if keep else "".join(f"\\x{b:02x}" for b in c.encode()))
        out.append("".join(chars))
    return "-".join(out) + ".mount"


def mount_units(root: Root) -> frozenset[str]:
    """Mount units an administrator or a package installed (fstab's generated ones live in /run: not here)."""
    found: set[str] = set()
    for d in UNIT_DIRS:
        try:
            found.update(n for n in os.listdir(root.str(d)) if n.endswith(".mount"))
        except OSError:
            continue
    return frozenset(found)


def iscsi_units(root: Root, *, multipath: bool) -> list[str]:
    units = [u for u in LOGIN_UNITS if unit_exists(root, u)][:1]
    units += [u for u in DAEMON_UNITS if unit_exists(root, u)][:1]
    if multipath and unit_exists(root, MULTIPATH_UNIT):
        units.append(MULTIPATH_UNIT)
    return units


def is_enabled(root: Root, unit: str) -> bool:
    """True when some *.wants directory links the unit: the administrator's (/etc, what 'systemctl enable'
    writes) or the distribution's own (a unit the vendor wants statically), file-based like
    'systemctl is-enabled'."""
    for d in ("/etc/systemd/system", *UNIT_DIRS[1:]):
        base = root.str(d)
        try:
            wants = [w for w in os.listdir(base) if w.endswith(".wants")]
        except OSError:
            continue
        if any(os.path.lexists(f"{base}/{w}/{unit}") for w in wants):
            return True
    return False


def enable(cmd: Commands, root: Root, units: list[str], *, now: bool = False) -> list[str]:
    """Enable the units that are not yet (``now``: and start them, on a live host); returns those it enabled."""
    todo = [u for u in units if not is_enabled(root, u)]
    if todo:
        argv = ["systemctl"] + ([f"--root={root.path}"] if not root.is_live else []) + ["enable"]
        argv += ["--now"] if now and root.is_live else []
        argv += todo
        cmd.run(argv, mutating=True, action="enabling boot services", live_only=False)
    return todo


def tool_installed(name: str) -> bool:
    import shutil  # here: with bz2 and lzma it costs every command that imports this module

    return shutil.which(name) is not None


def daemon_running(root: Root, comm: str) -> bool:
    """A process with this command name exists (read from /proc; works without systemd as PID 1)."""
    from iscsi_client.system.sysfs import read_attr

    proc = root.str("/proc")
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return False
    return any(read_attr(f"{proc}/{p}/comm") == comm for p in pids)
