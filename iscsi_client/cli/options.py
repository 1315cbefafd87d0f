"""Options several commands share, defined once so that their spelling, help and TAB completion agree
(`-p` everywhere, `--sid`/`-r` as in iscsiadm, the same device-wait knobs for login and rescan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iscsi_client.cli import completers

PortalOpt = Annotated[str | None, typer.Option(
    "--portal", "-p", autocompletion=completers.portals,
    help="Only this portal (HOST[:PORT]; default: every portal of the target).")]
SidsOpt = Annotated[list[int] | None, typer.Option(
    "--sid", "-r", metavar="SID", autocompletion=completers.session_ids,
    help="Only the session with this id (as 'isc sessions' shows it); repeatable.")]
NoWaitOpt = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the block devices.")]
WaitTimeoutOpt = Annotated[float, typer.Option(
    "--wait-timeout", metavar="SECONDS", help="How long to wait for the block devices.")]
ParallelOpt = Annotated[int, typer.Option(
    "--parallel", metavar="N", min=1, max=256,
    help="Logins in flight at once (one iscsiadm each, all under isc's one host lock).")]

# A target's CHAP (isc chap, isc connect): where the secrets come from; never the command line. Their help
# section, with the CHAP user name of the command.
CHAP = "CHAP"
PasswordFileOpt = Annotated[Path | None, typer.Option(
    "--password-file", metavar="FILE", rich_help_panel=CHAP, help="Read the secret from the first line of FILE.")]
PasswordStdinOpt = Annotated[bool, typer.Option(
    "--password-stdin", rich_help_panel=CHAP, help="Read the secret from stdin (a second line: the mutual one).")]
MutualUserOpt = Annotated[str | None, typer.Option("--mutual-user", rich_help_panel=CHAP,
                                                   help="Mutual CHAP: the target's user name.")]
MutualPasswordFileOpt = Annotated[Path | None, typer.Option(
    "--mutual-password-file", metavar="FILE", rich_help_panel=CHAP, help="Read the mutual secret from FILE.")]
AllowLongOpt = Annotated[bool, typer.Option(
    "--allow-long-secret", rich_help_panel=CHAP, help="Accept secrets longer than 16 characters (up to 255).")]
