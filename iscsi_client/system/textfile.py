"""The node_exporter textfile collector's file: written whole (temp file, fsync, rename: system/files.py),
so the collector never reads half a sample; the temp file's name does not end in .prom, which the
collector would read."""

from __future__ import annotations

from pathlib import Path

from iscsi_client.errors import EnvironmentProblem
from iscsi_client.system.files import write_atomic
from iscsi_client.system.root import Root

FILENAME = "isc.prom"  # the collector reads *.prom only


def directory_exists(root: Root, directory: str) -> bool:
    """node_exporter's textfile directory is there (its package is installed), under --root."""
    return root(directory).is_dir()


def write(directory: Path, exposition: str) -> Path:
    """Replace the textfile with this text (the exposition format, rendered by iscsi_client.exposition)."""
    if not directory.is_dir():
        raise EnvironmentProblem(f"{directory} is not a directory",
                                 hint="node_exporter's --collector.textfile.directory (Debian: "
                                      "/var/lib/prometheus/node-exporter)")
    path = directory / FILENAME
    try:
        write_atomic(path, exposition, mode=0o644, keep_backup=False)
    except OSError as e:
        raise EnvironmentProblem(f"cannot write {path}: {e.strerror}",
                                 hint="run as root, or give a directory you can write") from e
    return path
