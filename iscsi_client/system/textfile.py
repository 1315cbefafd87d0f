"""The node_exporter textfile collector's file: written whole and renamed into place (prometheus_client's
write_to_textfile), so the collector never reads half a sample."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iscsi_client.errors import EnvironmentProblem
from iscsi_client.ops.metrics import Family
from iscsi_client.system.root import Root

FILENAME = "isc.prom"  # the collector reads *.prom only; the temporary file is isc.prom.PID.TID


def directory_exists(root: Root, directory: str) -> bool:
    """node_exporter's textfile directory is there (its package is installed), under --root."""
    return root(directory).is_dir()


def write(directory: Path, families: Sequence[Family]) -> Path:
    from prometheus_client import write_to_textfile

    from iscsi_client.exposition import registry

    if not directory.is_dir():
        raise EnvironmentProblem(f"{directory} is not a directory",
                                 hint="node_exporter's --collector.textfile.directory (Debian: "
                                      "/var/lib/prometheus/node-exporter)")
    path = directory / FILENAME
    try:
        write_to_textfile(str(path), registry(families))
    except OSError as e:
        raise EnvironmentProblem(f"cannot write {path}: {e.strerror}",
                                 hint="run as root, or give a directory you can write") from e
    return path
