"""isc initiator: the name this host logs in with."""

from __future__ import annotations

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, note, say

app = typer.Typer(help="Show or set this host's initiator name.", invoke_without_command=True)


@app.callback()
def initiator_cmd(ctx: typer.Context) -> int | None:
    """Show the initiator name (/etc/iscsi/initiatorname.iscsi), and the boot firmware's (iBFT) where the host
    has one."""
    if ctx.invoked_subcommand is not None:
        return None
    from iscsi_client.ops.initiator import show_initiator

    c = get(ctx)
    info = show_initiator(root=c.root)
    if c.json:
        emit_json({"initiator": {"name": info.name, "path": info.path, "valid": info.valid,
                                 "problem": info.problem, "firmware": info.firmware}})
    elif info.name:
        say(info.name)
        if not info.valid:
            note(f"warning: {info.problem}")
        if info.firmware:
            differs = "" if info.firmware == info.name else f" (differs from {info.path}: 'isc doctor' explains)"
            say(f"firmware (iBFT): {info.firmware}{differs}")
    else:
        note(f"no initiator name in {info.path}; set one with 'isc initiator set --generate'")
    if not info.name:
        raise typer.Exit(3)
    return None


@app.command("set")
def set_cmd(ctx: typer.Context,
            name: str | None = typer.Argument(None, help="The new IQN."),
            generate: bool = typer.Option(False, "--generate", help="Make a new unique name.")) -> None:
    """Write a new initiator name atomically (backup kept). iscsid must be restarted to use it."""
    from iscsi_client.errors import UsageError
    from iscsi_client.model import Iqn
    from iscsi_client.ops.initiator import set_initiator

    c = get(ctx)
    if (name is None) == (not generate):
        raise UsageError("give either a NAME or --generate")
    iqn = Iqn.parse(name) if name else None
    change = set_initiator(root=c.root, name=iqn, generate=generate, dry_run=c.dry_run)
    if c.json:
        emit_json({"initiator": {"old": change.old, "new": change.new, "path": change.path,
                                 "backup": change.backup, "changed": change.changed, "dry_run": c.dry_run}})
        return
    if not change.changed:
        say(f"initiator name is already {change.new}")
        return
    if c.dry_run:
        note(f"would write {change.path}: InitiatorName={change.new} (was {change.old or 'unset'})")
        return
    say(f"initiator name set to {change.new} (was {change.old or 'unset'}) in {change.path}")
    if change.backup:
        say(f"backup: {change.backup}")
    say("restart iscsid to use it: systemctl restart iscsid; targets' ACLs must name the new initiator")
