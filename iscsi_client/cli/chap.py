"""isc chap: CHAP credentials on node records, secrets never on isc's argv."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.options import (
    CHAP,
    AllowLongOpt,
    MutualPasswordFileOpt,
    MutualUserOpt,
    PasswordFileOpt,
    PasswordStdinOpt,
    PortalOpt,
)
from iscsi_client.output import emit_json, say


def chap_cmd(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
    portal: PortalOpt = None,
    user: str | None = typer.Option(None, "--user", "-u", rich_help_panel=CHAP,
                                    help="CHAP user name (the target's 'userid')."),
    password_file: PasswordFileOpt = None,
    password_stdin: PasswordStdinOpt = False,
    mutual_user: MutualUserOpt = None,
    mutual_password_file: MutualPasswordFileOpt = None,
    clear: bool = typer.Option(False, "--clear", help="Remove CHAP from the records."),
    allow_long: AllowLongOpt = False,
) -> None:
    """Set one-way or mutual CHAP on a target's records, in one iscsiadm call.

    The secret comes from --password-file, --password-stdin, $ISC_CHAP_PASSWORD or a hidden prompt; the mutual
    secret from --mutual-password-file, the second stdin line, $ISC_CHAP_MUTUAL_PASSWORD or a prompt.
    """
    from iscsi_client.cli.secret_input import read_chap_secrets
    from iscsi_client.ops.chap import ChapRequest, set_chap

    c = get(ctx)
    t = target_arg(target)
    p = portal_arg(portal)
    assert t is not None
    if clear:
        request = ChapRequest(clear=True)
    else:
        if not user:
            from iscsi_client.errors import UsageError

            raise UsageError("--user is required (or --clear)")
        secret, mutual = read_chap_secrets(user=user, password_file=password_file, password_stdin=password_stdin,
                                           mutual_user=mutual_user, mutual_password_file=mutual_password_file)
        request = ChapRequest(user=user, secret=secret, mutual_user=mutual_user, mutual_secret=mutual,
                              allow_long=allow_long)
    nodes = set_chap(root=c.root, adm=c.iscsiadm(), target=t, portal=p, request=request)
    mode = "none" if clear else ("mutual" if mutual_user else "one-way")
    if c.json:
        emit_json({"chap": [{"target": str(n.target), "portal": n.portal.address, "iface": n.iface, "auth": mode,
                             "user": None if clear else user, "mutual_user": mutual_user,
                             "dry_run": c.dry_run} for n in nodes]})
        return
    verb = "would set" if c.dry_run else "set"
    what = "cleared CHAP" if clear else f"{mode} CHAP for user {user}"
    for n in nodes:
        say(f"{verb} {what} on {n.target} {n.portal.address}" if not clear else
            f"{'would clear' if c.dry_run else 'cleared'} CHAP on {n.target} {n.portal.address}")
    if not clear and not c.dry_run:
        say("note: iscsiadm stores the secret in the node record (root-only file) and briefly had it on its "
            "command line; isc itself never prints or logs it")
