"""isc connect / isc disconnect: the whole flow as one plan, shown before it runs (--dry-run)."""

from __future__ import annotations

from pathlib import Path

import typer

from iscsi_client.cli import completers, connect_run
from iscsi_client.cli.config import SecretsOpt
from iscsi_client.cli.context import get
from iscsi_client.cli.options import (
    CHAP,
    AllowLongOpt,
    MutualPasswordFileOpt,
    MutualUserOpt,
    PasswordFileOpt,
    PasswordStdinOpt,
)

MOUNT, DISC = "Mount", "Discovery CHAP"


def connect_cmd(
    ctx: typer.Context,
    portals: list[str] = typer.Argument(..., help="Discovery portals: host[:port] (default port 3260)."),
    target: str | None = typer.Option(None, "--target", "-T", metavar="IQN", autocompletion=completers.targets,
                                      help="The target to connect (default: the only one the portals offer)."),
    chap_user: str | None = typer.Option(None, "--chap-user", "-u", rich_help_panel=CHAP,
                                         help="CHAP user name for the target's logins."),
    password_file: PasswordFileOpt = None,
    password_stdin: PasswordStdinOpt = False,
    mutual_user: MutualUserOpt = None,
    mutual_password_file: MutualPasswordFileOpt = None,
    allow_long: AllowLongOpt = False,
    discovery_user: str | None = typer.Option(None, "--discovery-chap-user", rich_help_panel=DISC,
                                              help="Discovery CHAP user name."),
    discovery_password_file: Path | None = typer.Option(None, "--discovery-password-file", metavar="FILE",
                                                        rich_help_panel=DISC,
                                                        help="The discovery CHAP secret from FILE."),
    startup: str = typer.Option("automatic", "--startup", metavar="automatic|manual",
                                help="node.startup for the target's records (automatic: log in at boot)."),
    mount: str | None = typer.Option(None, "--mount", metavar="DIR", rich_help_panel=MOUNT,
                                     help="Mount the LUN's filesystem on DIR now and at every boot (isc persist)."),
    lun: int | None = typer.Option(None, "--lun", min=0, rich_help_panel=MOUNT,
                                   help="With --mount: which LUN (needed when the target has several)."),
    mkfs: bool = typer.Option(False, "--mkfs", rich_help_panel=MOUNT, help="Create the filesystem if there is none."),
    fstype: str | None = typer.Option(None, "--fstype", "-t", rich_help_panel=MOUNT, help="xfs (default) or ext4."),
    options: str | None = typer.Option(None, "--options", "-o", rich_help_panel=MOUNT,
                                       help="Extra mount options (comma list)."),
    force: bool = typer.Option(False, "--force", rich_help_panel=MOUNT, help="With --mkfs: erase a filesystem."),
    no_multipath: bool = typer.Option(False, "--no-multipath",
                                      help="Several portals but no multipath (mount on one path: --mount refuses "
                                           "unless the target has one portal)."),
    no_mtu: bool = typer.Option(False, "--no-mtu", help="Skip doctor's MTU probes at the end."),
    no_login: bool = typer.Option(False, "--no-login", help="Only the records: discovery, CHAP, node.startup and "
                                                            "timeouts; no session (an existing one is kept)."),
    wait_timeout: float = typer.Option(30.0, "--wait-timeout", metavar="SECONDS",
                                       help="How long to wait for block devices and the map."),
) -> int:
    """From a portal to a verified mount in one command: discovery, CHAP, boot login, login on every portal,
    the multipath map, the filesystem in fstab, then doctor's checks for the target.

    A plan of steps, each checked first: --dry-run shows it and changes nothing; a second run changes
    nothing; a failed or interrupted run is finished by running the same command again.
    """
    return connect_run.connect(
        get(ctx), portals=tuple(portals), target=target, chap_user=chap_user, password_file=password_file,
        password_stdin=password_stdin, mutual_user=mutual_user, mutual_password_file=mutual_password_file,
        allow_long=allow_long, discovery_user=discovery_user, discovery_password_file=discovery_password_file,
        startup=startup, mount=mount, lun=lun, mkfs=mkfs, fstype=fstype, options=options, force=force,
        no_multipath=no_multipath, no_mtu=no_mtu, no_login=no_login, wait_timeout=wait_timeout)


def disconnect_cmd(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
    forget: bool = typer.Option(False, "--forget", help="Also delete its node records (and a discovery record "
                                                       "no other target came through)."),
) -> int:
    """Undo connect, in the safe order: unmount and unpersist its filesystems, flush its maps and buffers, log
    out on every portal (its SCSI devices go with the sessions), node.startup manual, unregister its WWIDs.
    Refused while something else holds a device (LVM, another mount), naming it. The data on the LUN is left
    alone."""
    return connect_run.disconnect(get(ctx), target=target, forget=forget)


def apply_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The desired state: a document in 'isc config dump' format."),
    secrets: SecretsOpt = None,
    prune: bool = typer.Option(False, "--prune", help="Disconnect and forget the targets the document does not "
                                                      "name (shown in the plan first)."),
    initiator_name: bool = typer.Option(False, "--initiator-name", help="Also set the initiator name (same host "
                                                                        "only)."),
    allow_long: bool = typer.Option(False, "--allow-long-secret", help="Accept CHAP secrets of 17 to 255 "
                                                                       "characters."),
    wait_timeout: float = typer.Option(30.0, "--wait-timeout", metavar="SECONDS",
                                       help="How long to wait for block devices and maps."),
) -> int:
    """Converge this host to a document: records, settings, boot login and CHAP (as config restore), then
    log in to the records marked login = true (with their multipath maps) and mount its mounts.

    A plan like connect's: --dry-run shows it, a second run changes nothing. Nothing the document does not
    name is removed unless --prune. Secrets come from --secrets FILE or from root-only files the document
    names (password_file, mutual_password_file), never from the document itself.
    """
    from iscsi_client.cli.config import read_document
    from iscsi_client.cli.plan_render import invoked_as, plan_engine, render_plan
    from iscsi_client.ops.apply import apply
    from iscsi_client.ops.plan import PlanFailed

    c = get(ctx)
    doc, found = read_document(file, secrets)
    try:
        report = apply(root=c.root, engine=plan_engine(c), doc=doc, secrets=found, dry_run=c.dry_run,
                       command=invoked_as(), prune=prune, with_initiator=initiator_name, allow_long=allow_long,
                       wait_timeout=wait_timeout)
    except PlanFailed as failed:
        return render_plan(failed.report, json_out=c.json, failure=failed)
    return render_plan(report, json_out=c.json)
