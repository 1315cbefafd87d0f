"""isc config: dump the initiator's setup as TOML, and restore it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, note, say

if TYPE_CHECKING:
    from iscsi_client.ops.config import Secrets
    from iscsi_client.parsers.config_doc import ConfigDoc

app = typer.Typer(help="The initiator's setup as a TOML file (no secrets): dump it, restore it.",
                  no_args_is_help=True)


@app.command("dump")
def dump_cmd(ctx: typer.Context,
             output: str | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                               help="Write to FILE (atomically, a backup kept) instead of stdout; "
                                                    "'-' is stdout. A file that is not an isc dump is not "
                                                    "replaced without --force."),
             force: bool = typer.Option(False, "--force", help="Replace FILE even if it is not an isc dump.")
             ) -> None:
    """Initiator name, ifaces, node records (boot login, CHAP user names, tuning settings) and the
    filesystems isc persisted, read from files (works under --root). Never a secret."""
    from iscsi_client import __version__
    from iscsi_client.ops.config import dump
    from iscsi_client.parsers.config_doc import as_data, render

    c = get(ctx)
    doc = dump(root=c.root)
    to_stdout = output in (None, "-")
    if c.json and to_stdout:
        emit_json({"config": as_data(doc, version=__version__)})
        return
    text = render(doc, version=__version__)
    if to_stdout:
        typer.echo(text, nl=False)
        return
    from iscsi_client.ops.config import write_dump

    path = Path(str(output))
    backup = write_dump(path, text, force=force, dry_run=c.dry_run)
    if c.json:
        emit_json({"dump": {"path": str(path), "lines": len(text.splitlines()), "written": not c.dry_run,
                            "backup": None if backup is None else str(backup),
                            "dry_run": c.dry_run}})
    elif c.dry_run:
        say(f"would write {path} ({len(text.splitlines())} lines)")
    else:
        say(f"wrote {path}")


def read_document(file: Path, secrets: Path | None) -> tuple[ConfigDoc, Secrets]:
    """A dump (or a desired state for isc apply) and its secrets (the secrets file, and the files the document
    names), all validated."""
    from iscsi_client.errors import UsageError
    from iscsi_client.ops.config import Secrets, read_secrets, with_secret_files
    from iscsi_client.parsers.config_doc import parse

    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {file}: {e}") from None
    doc = parse(text)
    return doc, with_secret_files(doc, read_secrets(secrets) if secrets else Secrets())


SecretsOpt = Annotated[Path | None, typer.Option(
    "--secrets", metavar="FILE", help='CHAP secrets per target, TOML, mode 600: ["IQN"] password = "..." '
                                      '[mutual_password = "..."]; per discovery portal: [discovery."HOST:PORT"] '
                                      'password = "...".')]


@app.command("restore")
def restore_cmd(ctx: typer.Context,
                file: Path = typer.Argument(..., help="A dump made by 'isc config dump'."),
                secrets: SecretsOpt = None,
                initiator_name: bool = typer.Option(False, "--initiator-name",
                                                    help="Also set the initiator name (same host only)."),
                allow_long: bool = typer.Option(False, "--allow-long-secret",
                                                help="Accept CHAP secrets of 17 to 255 characters.")) -> None:
    """Recreate ifaces and node records with their settings, boot login and CHAP; converges (running it
    twice changes nothing). Validates the whole file and the secrets first. Prints the isc persist
    commands for the filesystems, to run once the LUNs are logged in."""
    from iscsi_client.ops.config import restore

    c = get(ctx)
    doc, found = read_document(file, secrets)
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
