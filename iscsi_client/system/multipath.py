"""multipath-tools on the host: its version and built-in table, the maps multipathd has, WWID registration,
reconfiguration; the drop-in file isc writes."""

from __future__ import annotations

import os

from iscsi_client.kernel_model import MultipathMap
from iscsi_client.system.commands import Commands
from iscsi_client.system.files import read_text, write_atomic
from iscsi_client.system.root import Root
from iscsi_client.system.sysfs import read_attr

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Iterator

# parsers/multipath.py (with re and enum, some 65 ms of a start in the TCG lab guest) loads where an answer
# of multipathd or the WWIDs file is read: a teardown lists the maps from sysfs, with neither

DROPIN_DIR = "/etc/multipath/conf.d"
DROPIN = "/etc/multipath/conf.d/isc.conf"
MAIN_CONF = "/etc/multipath.conf"
WWIDS = "/etc/multipath/wwids"


def version(cmd: Commands) -> tuple[int, ...] | None:
    """(0, 9, 4) from 'multipath-tools v0.9.4 (...)' printed by 'multipath -h'."""
    try:
        r = cmd.run(["multipath", "-h"], mutating=False, action="reading the multipath-tools version", ok=range(256))
    except Exception:
        return None
    import re  # here, not with the module: a teardown reads the maps and never the version

    m = re.search(r"multipath-tools v(\d+)\.(\d+)\.(\d+)", r.stdout + r.stderr)
    return tuple(int(x) for x in m.groups()) if m else None


def builtin_table(cmd: Commands) -> str:
    r = cmd.run(["multipath", "-t"], mutating=False, action="reading multipath's configuration", ok=range(256))
    return r.stdout


def show_maps(cmd: Commands) -> list[MultipathMap]:
    r = cmd.run(["multipathd", "show", "maps", "json"], mutating=False, action="asking multipathd for its maps",
                ok=range(256))
    from iscsi_client.parsers.multipath import parse_maps_json

    return parse_maps_json(r.stdout)


def registered_wwids(root: Root) -> set[str]:
    from iscsi_client.parsers.multipath import parse_wwids

    return parse_wwids(read_text(root.str(WWIDS)) or "")


def register(cmd: Commands, device: str) -> None:
    cmd.run(["multipath", "-a", device], mutating=True, action=f"registering the WWID of {device}")


def unregister(cmd: Commands, wwid: str) -> None:
    """Remove a WWID from /etc/multipath/wwids (``multipath -w``): no map forms for it any more."""
    cmd.run(["multipath", "-w", wwid], mutating=True, action=f"removing WWID {wwid} from {WWIDS}")


def resize_map(cmd: Commands, name: str) -> None:
    """Grow a map to its paths' new size (after every path was rescanned). multipathd answers "fail"
    (with exit 0 on some versions) when the paths disagree or the map is in use in a way it refuses."""
    ran = cmd.run(["multipathd", "resize", "map", name], mutating=True, action=f"resizing multipath map {name}",
                  ok=(0, 1))
    if not ran.dry_run and (ran.rc != 0 or ran.stdout.strip() != "ok"):
        from iscsi_client.errors import IscError

        raise IscError(f"multipathd could not resize map {name}: {ran.stdout.strip() or ran.stderr.strip()}",
                       hint=f"check that every path has the new size ('isc status'), then: multipathd resize map "
                            f"{name}")


def reconfigure(cmd: Commands) -> None:
    cmd.run(["multipathd", "reconfigure"], mutating=True, action="reconfiguring multipathd")
    cmd.run(["udevadm", "settle", "--timeout=30"], mutating=True, action="waiting for udev", ok=(0, 1))


def read_dropin(root: Root) -> str:
    return read_text(root.str(DROPIN)) or ""


def write_dropin(root: Root, text: str) -> str | None:
    """Atomic write with a backup; returns the backup's host path."""
    saved = write_atomic(root(DROPIN), text, mode=0o644)  # makes the directory (removed again if it fails)
    return None if saved is None else f"{DROPIN_DIR}/{saved.name}"


def _multipath_dm(root: Root) -> Iterator[tuple[str, str]]:
    """(dm-N, WWID) of every multipath map the kernel has: a dm device whose dm uuid is mpath-WWID. One
    listing of /sys/class/block and one file per dm device; no multipath or multipathd command."""
    try:
        names = [n for n in os.listdir(root.str("/sys/class/block")) if n.startswith("dm-")]
    except OSError:
        return
    for name in names:
        uuid = read_attr(root.str(f"/sys/class/block/{name}/dm/uuid"))
        if uuid is None:  # a map being removed meanwhile: its files vanish (ENOENT, ENODEV)
            continue
        if uuid.startswith("mpath-"):
            yield name, uuid.removeprefix("mpath-")


def formed_maps(root: Root) -> set[str]:
    """WWIDs of the multipath maps the kernel has and udev has finished."""
    from iscsi_client.system.blockdev import udev_initialized

    out: set[str] = set()
    for name, wwid in _multipath_dm(root):
        dev = read_attr(root.str(f"/sys/class/block/{name}/dev"))
        if dev is not None and udev_initialized(root, dev):
            out.add(wwid)
    return out


def map_names(root: Root) -> set[str]:
    """Names of every multipath map the kernel has, formed or not."""
    out: set[str] = set()
    for name, _ in _multipath_dm(root):
        dm_name = read_attr(root.str(f"/sys/class/block/{name}/dm/name"))
        if dm_name is not None:
            out.add(dm_name)
    return out
