"""What connect and disconnect do once their words are parsed: the request checked and built (secrets read
from files, stdin or a prompt), the plan run or shown, the summary. Neither click nor typer is imported here:
cli/direct.py runs these commands without the framework, and their typer commands (cli/connect.py) call the
same functions."""

from __future__ import annotations

from iscsi_client.cli.context import Ctx

TYPE_CHECKING = False  # pathlib is left to whoever makes a Path: it costs start-up
if TYPE_CHECKING:
    from pathlib import Path


def connect(c: Ctx, portals: tuple[str, ...], target: str | None = None, chap_user: str | None = None,
            password_file: Path | None = None, password_stdin: bool = False, mutual_user: str | None = None,
            mutual_password_file: Path | None = None, allow_long: bool = False, discovery_user: str | None = None,
            discovery_password_file: Path | None = None, startup: str = "automatic", mount: str | None = None,
            lun: int | None = None, mkfs: bool = False, fstype: str | None = None, options: str | None = None,
            force: bool = False, no_multipath: bool = False, no_mtu: bool = False, no_login: bool = False,
            wait_timeout: float = 30.0) -> int:
    """isc connect: from portals to a verified mount, as a plan."""
    from iscsi_client.cli.plan_render import invoked_as, plan_engine, render_plan, render_summary
    from iscsi_client.errors import UsageError
    from iscsi_client.model import Iqn, Portal
    from iscsi_client.ops.connect import ConnectRequest, MountRequest, connect
    from iscsi_client.ops.plan import PlanFailed
    from iscsi_client.startup_mode import Startup

    c.root.require_live("connect (it discovers, logs in and mounts)")  # before asking for a secret
    if startup not in ("automatic", "manual"):
        raise UsageError(f"--startup is automatic or manual, not {startup!r}")
    if (mkfs or fstype or options or force or lun is not None) and mount is None:
        raise UsageError("--mkfs, --fstype, --options, --force and --lun go with --mount DIR")
    if no_login and mount is not None:
        raise UsageError("--no-login leaves the target without a session: it cannot go with --mount")
    if mutual_user and not chap_user:
        raise UsageError("--mutual-user needs --chap-user (mutual CHAP is on top of one-way CHAP)")
    parsed = tuple(Portal.parse(p) for p in portals)
    chap = None
    if chap_user:
        from iscsi_client.cli.secret_input import read_chap_secrets
        from iscsi_client.ops.chap import ChapRequest

        secret, mutual = read_chap_secrets(user=chap_user, password_file=password_file,
                                           password_stdin=password_stdin, mutual_user=mutual_user,
                                           mutual_password_file=mutual_password_file)
        chap = ChapRequest(user=chap_user, secret=secret, mutual_user=mutual_user, mutual_secret=mutual,
                           allow_long=allow_long)
    disc = None
    if discovery_user:
        from iscsi_client.cli.secret_input import read_secret
        from iscsi_client.ops.discover import DiscoveryChap

        if discovery_password_file is None:
            raise UsageError("--discovery-chap-user needs --discovery-password-file FILE")
        disc = DiscoveryChap(discovery_user, read_secret(file=discovery_password_file, use_stdin=False,
                                                         env_name="", prompt=""), allow_long)
    req = ConnectRequest(parsed, Iqn.parse(target) if target else None, chap, disc, Startup(startup),
                         MountRequest(mount, lun, mkfs, fstype, options, force) if mount else None,
                         multipath=not no_multipath, probe_mtu=not no_mtu, wait_timeout=wait_timeout,
                         login=not no_login)
    try:
        report, summary = connect(root=c.root, engine=plan_engine(c), req=req, dry_run=c.dry_run,
                                  command=invoked_as())
    except PlanFailed as failed:
        return render_plan(failed.report, json_out=c.json, failure=failed)
    code = 1 if any(f["level"] == "failure" for f in summary.findings) else 0
    if c.json:
        import dataclasses  # a record's fields for asdict (a summary in JSON only)

        return render_plan(report, json_out=True, extra={"summary": dataclasses.asdict(summary)}) or code
    render_plan(report, json_out=False)
    if not c.dry_run:
        render_summary(summary)
    return code


def disconnect(c: Ctx, target: str, forget: bool = False) -> int:
    """isc disconnect: connect undone in the safe order, as a plan."""
    from iscsi_client.cli.plan_render import invoked_as, plan_engine, render_plan
    from iscsi_client.model import Iqn
    from iscsi_client.ops.disconnect import DisconnectRequest, disconnect
    from iscsi_client.ops.plan import PlanFailed

    req = DisconnectRequest(Iqn.parse(target), forget=forget)
    try:
        report = disconnect(root=c.root, engine=plan_engine(c), req=req, dry_run=c.dry_run,
                            command=invoked_as())
    except PlanFailed as failed:
        return render_plan(failed.report, json_out=c.json, failure=failed)
    return render_plan(report, json_out=c.json)
