"""Dynamic TAB completion: values read straight from files (the node database, sysfs, fstab), never by
running iscsiadm. Every function must be quiet and fast: it runs on each TAB press.

A completer is named in a command's declaration (``autocompletion=completers.targets``) and called by
cli/tab.py, which answers TAB without importing click or typer. So this module imports neither: ``ctx`` is
anything with ``params`` and ``find_root()`` (cli/tab.py's context, or a click context in the tests that
hold cli/tab.py to click's own answers)."""

from __future__ import annotations

import os

from iscsi_client.system.root import Root

LATE_ROOT = "isc.late_root"

TYPE_CHECKING = False  # typing is not imported on a TAB press (~3 ms here, a quarter of `python -c pass`)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    class TabContext(Protocol):
        """What a completer reads of the command line: the parsed values of the command being completed,
        and the top of the command line (its global options, and ``meta[LATE_ROOT]``: --root given after
        the command word)."""

        @property
        def params(self) -> Mapping[str, Any]: ...

        @property
        def meta(self) -> Mapping[str, Any]: ...

        def find_root(self) -> TabContext: ...
else:
    TabContext = object  # typer reads the annotations when it builds the commands (the name "ctx" is what counts)


def _root(ctx: TabContext) -> Root:
    top = ctx.find_root()
    # --root after the command word (isc login --root IMG iqn<TAB>) is kept in meta by app._late_global
    value = top.meta.get(LATE_ROOT) or top.params.get("root")
    return Root(os.path.realpath(value)) if value and str(value) != "/" else Root()


def targets(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    from iscsi_client.system import nodedb

    out = []
    for name, portals in nodedb.record_portals(_root(ctx)).items():
        if name.startswith(incomplete):
            hosts = sorted({p.rsplit(":", 1)[0].strip("[]") for p in portals})
            out.append((name, f"node record on {', '.join(hosts)}" if hosts else "node record"))
    return out


def portals(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    from iscsi_client.system import nodedb

    wanted = ctx.params.get("target")
    seen: dict[str, str] = {}
    for name, addresses in nodedb.record_portals(_root(ctx)).items():
        if wanted and name != wanted:
            continue
        for a in addresses:
            seen.setdefault(a, name)
    return [(k, v) for k, v in sorted(seen.items()) if k.startswith(incomplete)]


def discovery_portals(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """Portals asked before (their discovery records), for isc discover."""
    from iscsi_client.system import nodedb

    return [(a, f"{kind} discovery record") for a, kind in nodedb.discovery_portals(_root(ctx)).items()
            if a.startswith(incomplete)]


def record_settings(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """NAME= for `isc nodes set`: the settings of the target's first record, with the value it holds
    (CHAP and identity keys left out: they are not set this way)."""
    from iscsi_client.errors import UsageError
    from iscsi_client.model import IDENTITY_SETTINGS, Iqn
    from iscsi_client.system import nodedb

    target = ctx.params.get("target")
    try:
        records = nodedb.read_records(_root(ctx), target=Iqn.parse(target)) if target else []
    except UsageError:  # a half-typed target gives no completion, never an error
        return []
    if not records or "=" in incomplete:
        return []
    _, rec = records[0]
    return [(f"{k}=", f"now {v if v is not None else '<empty>'}") for k, v in rec.items()
            if k.startswith(incomplete) and k.startswith("node.") and ".auth." not in k and k not in IDENTITY_SETTINGS]


def iface_names(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """iSCSI ifaces, described by what they bind."""
    from iscsi_client.system import ifacedb

    return [(i.name, f"{i.transport} via {i.net_ifacename or i.hwaddress or 'the routing table'}")
            for i in ifacedb.read_ifaces(_root(ctx)) if i.name.startswith(incomplete)]


def net_devices(ctx: TabContext, incomplete: str) -> list[str]:
    from iscsi_client.system import ifacedb

    return [d for d in ifacedb.net_devices(_root(ctx)) if d.startswith(incomplete)]


def session_targets(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """Targets with an active session (for logout)."""
    from iscsi_client.system import sysfs

    found: dict[str, list[str]] = {}
    for s in sysfs.read_sessions(_root(ctx)):
        found.setdefault(str(s.target), []).append(f"session {s.sid} on {s.portal.address}")
    return [(t, "; ".join(v)) for t, v in sorted(found.items()) if t.startswith(incomplete)]


def session_ids(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """Active session ids, described by target and portal (for --sid)."""
    from iscsi_client.system import sysfs

    return [(str(s.sid), f"{s.target} on {s.portal.address}") for s in sysfs.read_sessions(_root(ctx))
            if str(s.sid).startswith(incomplete)]


def devices(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """iSCSI block devices and TARGET/LUN forms (for persist)."""
    from iscsi_client.system import blockdev

    out: dict[str, str] = {}
    for v in blockdev.session_views(_root(ctx)):
        for lun in v.luns:
            out.setdefault(f"{v.session.target}/{lun.lun}", f"LUN {lun.lun}")
            for d in (lun.map, lun.disk):
                if d is not None:
                    out.setdefault(d.devnode, f"{v.session.target} LUN {lun.lun}")
    return [(k, v) for k, v in sorted(out.items()) if k.startswith(incomplete)]


def mountpoints(ctx: TabContext, incomplete: str) -> list[tuple[str, str]]:
    """Mount points isc persisted (for unpersist)."""
    from iscsi_client.parsers import fstab as fstab_text
    from iscsi_client.system import fstab as fstab_file

    text = fstab_file.read_fstab(_root(ctx))
    out = []
    previous = ""
    for line in text.splitlines():
        e = fstab_text.parse_line(line)
        if e is not None and previous.startswith(fstab_text.MARKER) and e.mountpoint.startswith(incomplete):
            out.append((e.mountpoint, previous[len(fstab_text.MARKER):]))
        previous = line
    return out


def startup_modes(incomplete: str) -> list[tuple[str, str]]:
    modes = [("automatic", "log in at boot"), ("manual", "only by hand"), ("onboot", "boot from it (iBFT)")]
    return [m for m in modes if m[0].startswith(incomplete)]


def doctor_codes(incomplete: str) -> list[tuple[str, str]]:
    from iscsi_client.ops.doctor_checks import CHECKS

    return [(c.code, c.title) for c in CHECKS if c.code.startswith(incomplete.upper())]


def tuning_profiles(incomplete: str) -> list[str]:
    """isc tune --profile."""
    from iscsi_client.ops.tunables import PROFILES

    return [p for p in PROFILES if p.startswith(incomplete)]


def fio_profiles(incomplete: str) -> list[str]:
    """isc bench --profile."""
    from iscsi_client.ops.bench import PROFILES

    return [p for p in PROFILES if p.startswith(incomplete)]
