"""isc metrics: the initiator's health in Prometheus' text format, on stdout or as node_exporter's textfile;
isc metrics install: the systemd timer that refreshes that file every minute."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer

from iscsi_client.cli import readers
from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, say

app = typer.Typer(help="Prometheus metrics: sessions, paths, LUNs, mounts, doctor findings.",
                  invoke_without_command=True)


@app.callback()
def metrics_cmd(ctx: typer.Context,
                textfile: Path = typer.Option(None, "--textfile", metavar="DIR", file_okay=False,
                                              help="Write DIR/isc.prom atomically (node_exporter's textfile "
                                                   "collector directory) instead of printing.")) -> None:
    """Print metrics in the Prometheus text exposition format. Never runs iscsiadm and writes nothing
    but the textfile; isc metrics install refreshes the textfile every minute."""
    if ctx.invoked_subcommand is not None:
        return
    raise typer.Exit(readers.metrics(get(ctx), textfile=textfile))


def _this_isc() -> str:
    """The isc the units should run: this program when started by its full path, else the one on PATH."""
    argv0 = sys.argv[0]
    if os.path.isabs(argv0) and os.path.basename(argv0) == "isc":
        return argv0
    return shutil.which("isc") or "/usr/bin/isc"


@app.command("install")
def install_cmd(ctx: typer.Context,
                textfile_dir: str = typer.Option("/var/lib/prometheus/node-exporter", "--textfile-dir",
                                                 metavar="DIR", help="node_exporter's textfile directory."),
                isc: str = typer.Option(None, "--isc", metavar="PATH",
                                        help="The isc executable the service runs (default: this one).")) -> None:
    """Install isc-metrics.service and .timer in /etc/systemd/system and enable the timer (honours --root,
    --dry-run)."""
    from iscsi_client.ops.metrics_units import install

    c = get(ctx)
    done = install(root=c.root, cmd=c.commands(), isc=isc or _this_isc(), textfile_dir=textfile_dir)
    if c.json:
        emit_json({"install": {"units": [{"path": u.path, "changed": u.changed} for u in done.units],
                               "timer_enabled": done.enabled, "textfile_dir": done.textfile_dir,
                               "changed": done.changed, "dry_run": c.dry_run}})
        return
    verb = "would write" if c.dry_run else "wrote"
    for u in done.units:
        say(f"{verb} {u.path}" if u.changed else f"{u.path} is up to date")
    if done.enabled:
        say(f"{'would enable' if c.dry_run else 'enabled'} isc-metrics.timer")
    if not done.textfile_dir_exists:
        say(f"note: {done.textfile_dir} does not exist: install prometheus-node-exporter (or point "
            "--textfile-dir at its --collector.textfile.directory)")
