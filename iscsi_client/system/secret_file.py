"""Reading a CHAP secret file the user names (--password-file). The path is the user's, relative to the
working directory, never under --root. The secret is its first line; the file's mode is reported so the
caller can warn about a secret readable by group or others."""

from __future__ import annotations

import os
from pathlib import Path

from iscsi_client.errors import UsageError


def read_private_file(path: Path, *, what: str = "secret file", limit: int = 65536) -> tuple[bytes, bool]:
    """(its bytes, whether group or others may read the file), opened once (the mode is that of the file
    read, not of a path that could be swapped in between)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise UsageError(f"cannot read the {what} {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        loose = bool(os.fstat(fh.fileno()).st_mode & 0o077)
        try:
            return fh.read(limit), loose
        except OSError as e:
            raise UsageError(f"cannot read the {what} {path}: {e.strerror}") from None


def read_secret_file(path: Path) -> tuple[str, bool]:
    """(first line, whether group or others may read the file)."""
    raw, loose = read_private_file(path)
    try:
        text = raw.decode()
    except UnicodeDecodeError as e:
        raise UsageError(f"cannot read the secret file {path}: {e}") from None
    return (text.splitlines()[0] if text else ""), loose
