"""Options several commands share, defined once so that their spelling, help and TAB completion agree
(`-p` everywhere, `--sid`/`-r` as in iscsiadm, the same device-wait knobs for login and rescan)."""

from __future__ import annotations

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
