"""isc discover: SendTargets (default), iSNS, or the firmware's iBFT table."""

from __future__ import annotations

from pathlib import Path

import typer

from iscsi_client.cli import completers, discover_run
from iscsi_client.cli.context import get
from iscsi_client.fanout import IN_FLIGHT

RECORDS, CHAP = "Discovery records", "Discovery CHAP"


def discover_cmd(
    ctx: typer.Context,
    portals: list[str] = typer.Argument(None, help="Discovery portals: host[:port] (default port 3260, "
                                        "with --isns 3205).", autocompletion=completers.discovery_portals),
    isns: bool = typer.Option(False, "--isns", help="Ask an iSNS server instead of SendTargets."),
    firmware: bool = typer.Option(False, "--firmware", help="List the boot firmware's (iBFT) targets."),
    forget: bool = typer.Option(False, "--forget", rich_help_panel=RECORDS,
                                help="Delete the portal's discovery record and the node records discovered "
                                     "through it (as iscsiadm does), named first; refused while in use."),
    list_records: bool = typer.Option(False, "--list", rich_help_panel=RECORDS,
                                      help="List the discovery records: portals asked before, their type and "
                                           "discovery CHAP user (iscsiadm -m discoverydb)."),
    chap_user: str | None = typer.Option(None, "--chap-user", rich_help_panel=CHAP,
                                         help="Discovery CHAP user name."),
    password_file: Path | None = typer.Option(None, "--password-file", metavar="FILE", rich_help_panel=CHAP,
                                              help="Discovery CHAP secret from FILE."),
    password_stdin: bool = typer.Option(False, "--password-stdin", rich_help_panel=CHAP,
                                        help="Discovery CHAP secret from stdin (a second line: the mutual one)."),
    mutual_user: str | None = typer.Option(None, "--mutual-user", rich_help_panel=CHAP,
                                           help="Mutual discovery CHAP: the target's user name."),
    mutual_password_file: Path | None = typer.Option(None, "--mutual-password-file", metavar="FILE",
                                                     rich_help_panel=CHAP,
                                                     help="Mutual discovery CHAP secret from FILE."),
    allow_long: bool = typer.Option(False, "--allow-long-secret", rich_help_panel=CHAP,
                                    help="Accept discovery CHAP secrets of 17 to 255 characters."),
    clear_chap: bool = typer.Option(False, "--clear-chap", rich_help_panel=CHAP,
                                    help="Remove the portal's discovery CHAP (the target no longer asks for it)."),
    iface: str | None = typer.Option(None, "--iface", "-I", help="iSCSI interface to use (isc iface).",
                                            autocompletion=completers.iface_names),
    keep_flagged: bool = typer.Option(False, "--keep-flagged",
                                      help="Keep records for link-local or unreachable portals."),
    login: bool = typer.Option(False, "--login", "-l",
                               help="Then log in to the discovered targets (as iscsiadm's discovery --login).",
                               rich_help_panel="Log in"),
    login_targets: list[str] = typer.Option(None, "--target", "-T", metavar="IQN",
                                            autocompletion=completers.targets, rich_help_panel="Log in",
                                            help="With --login: only this target (repeatable)."),
    no_wait: bool = typer.Option(False, "--no-wait", help="With --login: do not wait for the block devices.",
                                 rich_help_panel="Log in"),
    wait_timeout: float = typer.Option(30.0, "--wait-timeout", metavar="SECONDS", rich_help_panel="Log in",
                                       help="With --login: how long to wait for the block devices."),
    parallel: int = typer.Option(IN_FLIGHT, "--parallel", metavar="N", min=1, max=256, rich_help_panel="Log in",
                                 help="With --login: logins in flight at once."),
    slp: bool = typer.Option(False, "--slp", hidden=True),
) -> int:
    """Discover targets and add NEW node records; settings of existing records are never reset.
    With --login, log in to what was found and wait for the block devices, as 'isc login' does."""
    return discover_run.discover(
        get(ctx), portals=tuple(portals or ()), isns=isns, firmware=firmware, forget=forget,
        list_records=list_records, chap_user=chap_user, password_file=password_file, password_stdin=password_stdin,
        mutual_user=mutual_user, mutual_password_file=mutual_password_file, allow_long=allow_long,
        clear_chap=clear_chap, iface=iface, keep_flagged=keep_flagged, login=login,
        login_targets=tuple(login_targets or ()), no_wait=no_wait, wait_timeout=wait_timeout, parallel=parallel,
        slp=slp)
