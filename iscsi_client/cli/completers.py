"""Dynamic TAB completion: values read straight from files (the node database, sysfs, fstab), never by
running iscsiadm. Every function must be quiet and fast: it runs on each TAB press."""

from __future__ import annotations

from pathlib import Path

import typer

from iscsi_client.system.root import Root


def _root(ctx: typer.Context) -> Root:
    value = ctx.find_root().params.get("root")
    return Root(Path(value).resolve()) if value and str(value) != "/" else Root()


def targets(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from iscsi_client.system import nodedb

    root = _root(ctx)
    base = nodedb.node_dir(root)
    out = []
    for name in nodedb.target_names(root):
        if name.startswith(incomplete):
            portals = sorted({p.name.split(",")[0] for p in (base / name).iterdir()}) if base else []
            out.append((name, f"node record on {', '.join(portals)}" if portals else "node record"))
    return out


def portals(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from iscsi_client.system import nodedb

    root = _root(ctx)
    base = nodedb.node_dir(root)
    if base is None:
        return []
    wanted = ctx.params.get("target")
    seen: dict[str, str] = {}
    for tdir in base.iterdir():
        if wanted and tdir.name != wanted:
            continue
        for p in tdir.iterdir():
            parts = p.name.split(",")
            if len(parts) >= 2:
                host = f"[{parts[0]}]" if ":" in parts[0] else parts[0]
                seen.setdefault(f"{host}:{parts[1]}", tdir.name)
    return [(k, v) for k, v in sorted(seen.items()) if k.startswith(incomplete)]


def session_targets(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Targets with an active session (for logout)."""
    from iscsi_client.system import sysfs

    found: dict[str, list[str]] = {}
    for s in sysfs.read_sessions(_root(ctx)):
        found.setdefault(str(s.target), []).append(f"session {s.sid} on {s.portal.address}")
    return [(t, "; ".join(v)) for t, v in sorted(found.items()) if t.startswith(incomplete)]


def devices(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
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


def mountpoints(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
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
