"""isc persist / isc unpersist."""

from __future__ import annotations

import dataclasses

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, note, say


def persist_cmd(
    ctx: typer.Context,
    what: str = typer.Argument(..., help="DEVICE (/dev/sdX, /dev/disk/by-..., /dev/mapper/NAME) or TARGET[/LUN].",
                              autocompletion=completers.devices),
    mountpoint: str = typer.Argument(..., help="Where to mount it, e.g. /srv/data."),
    fstype: str | None = typer.Option(None, "--fstype", "-t", help="xfs (default for new filesystems) or ext4."),
    mkfs: bool = typer.Option(False, "--mkfs", help="Create the filesystem if the device has none."),
    force: bool = typer.Option(False, "--force", help="With --mkfs: erase an existing filesystem."),
    options: str | None = typer.Option(None, "--options", "-o", help="Extra mount options (comma list)."),
    single_path: bool = typer.Option(False, "--single-path", help="Allow one path of a multi-path LUN."),
) -> None:
    """Mount a LUN's filesystem now and at every boot: fstab by UUID (or the multipath map) with
    _netdev,nofail; node.startup automatic on every portal; boot services enabled; verified."""
    from iscsi_client.ops.persist import persist

    c = get(ctx)
    r = persist(root=c.root, adm=c.iscsiadm(), cmd=c.commands(), what=what, mountpoint=mountpoint, fstype=fstype,
                mkfs=mkfs, force=force, options=options, single_path=single_path)
    if c.json:
        emit_json({"persist": dataclasses.asdict(r)})
        return
    would = "would " if r.dry_run else ""
    if r.formatted:
        say(f"{would}create {r.fstype} on {r.device}")
    line = f"{r.spec} {r.mountpoint} {r.fstype} {r.options} 0 0"
    say(f"fstab: {would}add  {line}" if r.fstab_changed else f"fstab: already has  {line}")
    if r.fstab_backup:
        say(f"fstab backup: {r.fstab_backup}")
    if r.mountpoint_created:
        say(f"{would}create mount point {r.mountpoint}")
    if r.startup_changed:
        say(f"{would}log in at boot on {', '.join(r.startup_changed)}")
    if r.services_enabled:
        say(f"{would}enable {', '.join(r.services_enabled)}")
    if r.dry_run:
        say(f"{r.mountpoint} is mounted already" if r.mounted else f"would mount {r.mountpoint}")
    elif r.mounted:
        say(f"mounted {r.device} on {r.mountpoint}")
    if r.verify_ok is False:
        note(f"warning: findmnt --verify reports problems:\n{r.verify_report}")
    elif r.verify_ok:
        say("findmnt --verify: ok")


def unpersist_cmd(ctx: typer.Context,
                  mountpoint: str = typer.Argument(..., help="The mount point isc persisted.",
                                                   autocompletion=completers.mountpoints)) -> None:
    """Undo persist: unmount, remove the fstab entry (backup kept), boot login off if nothing else needs it.
    The data on the LUN is left alone."""
    from iscsi_client.ops.persist import unpersist

    c = get(ctx)
    r = unpersist(root=c.root, adm=c.iscsiadm(), cmd=c.commands(), mountpoint=mountpoint)
    if c.json:
        emit_json({"unpersist": {**dataclasses.asdict(r), "already": r.already}})
        return
    if r.already:
        say(f"nothing to undo: /etc/fstab has no entry for {r.mountpoint}")
        return
    would = "would " if r.dry_run else ""
    if r.unmounted:
        say(f"{would}unmount {r.mountpoint}")
    say(f"fstab: {would}remove  {r.entry}")
    if r.fstab_backup:
        say(f"fstab backup: {r.fstab_backup}")
    if r.startup_manual:
        say(f"{would}stop logging in at boot on {', '.join(r.startup_manual)}")
