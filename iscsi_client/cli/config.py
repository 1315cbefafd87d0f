"""isc config: dump the initiator's setup as TOML, and restore it."""

from __future__ import annotations

from pathlib import Path

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, note, say

app = typer.Typer(help="The initiator's setup as a TOML file (no secrets): dump it, restore it.",
                  no_args_is_help=True)


@app.command("dump")
def dump_cmd(ctx: typer.Context,
             output: Path | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                                help="Write to FILE (atomically) instead of stdout.")) -> None:
    """Initiator name, ifaces, node records (boot login, CHAP user names, tuning settings) and the
    filesystems isc persisted, read from files (works under --root). Never a secret."""
    from iscsi_client import __version__
    from iscsi_client.ops.config import dump
    from iscsi_client.parsers.config_doc import as_data, render

    c = get(ctx)
    doc = dump(root=c.root)
    if c.json and output is None:
        emit_json({"config": as_data(doc, version=__version__)})
        return
    text = render(doc, version=__version__)
    if output is None:
        typer.echo(text, nl=False)
        return
    if c.dry_run:
        say(f"would write {output} ({len(text.splitlines())} lines)")
        return
    from iscsi_client.system.files import write_atomic

    write_atomic(output, text, mode=0o644)
    say(f"wrote {output}")


@app.command("restore")
def restore_cmd(ctx: typer.Context,
                file: Path = typer.Argument(..., help="A dump made by 'isc config dump'."),
                secrets: Path | None = typer.Option(None, "--secrets", metavar="FILE",
                                                    help='CHAP secrets per target, TOML, mode 600: ["IQN"] '
                                                         'password = "..." [mutual_password = "..."]; per '
                                                         'discovery portal: [discovery."HOST:PORT"] password = '
                                                         '"...".'),
                initiator_name: bool = typer.Option(False, "--initiator-name",
                                                    help="Also set the initiator name (same host only)."),
                allow_long: bool = typer.Option(False, "--allow-long-secret",
                                                help="Accept CHAP secrets of 17 to 255 characters.")) -> None:
    """Recreate ifaces and node records with their settings, boot login and CHAP; converges (running it
    twice changes nothing). Validates the whole file and the secrets first. Prints the isc persist
    commands for the filesystems, to run once the LUNs are logged in."""
    from iscsi_client.ops.config import Secrets, read_secrets, restore
    from iscsi_client.parsers.config_doc import parse

    c = get(ctx)
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as e:
        from iscsi_client.errors import UsageError

        raise UsageError(f"cannot read {file}: {e}") from None
    doc = parse(text)
    found = read_secrets(secrets) if secrets else Secrets()
    report = restore(root=c.root, adm=c.iscsiadm(), doc=doc, secrets=found, with_initiator=initiator_name,
                     allow_long=allow_long)
    if c.json:
        emit_json({"restore": {"steps": report.steps, "skipped": report.skipped,
                               "persist_commands": report.persist_commands, "dry_run": c.dry_run}})
        return
    for step in report.steps:
        say(step)
    if not report.steps:
        say("nothing to change: this host already has that setup")
    for item in report.skipped:
        note(f"not restored: {item}")
    if report.persist_commands:
        note("filesystems: log in (isc login TARGET), then run:")
        for cmd in report.persist_commands:
            note(f"  {cmd}")
