"""Reading a CHAP secret file the user names (--password-file). The path is the user's, relative to the
working directory, never under --root. The secret is its first line; the file's mode is reported so the
caller can warn about a secret readable by group or others."""

from __future__ import annotations

import os
from pathlib import Path

from iscsi_client.errors import UsageError


def read_secret_file(path: Path) -> tuple[str, bool]:
    """(first line, whether group or others may read the file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise UsageError(f"cannot read the secret file {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        loose = bool(os.fstat(fh.fileno()).st_mode & 0o077)
        try:
            text = fh.read(65536).decode()
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read the secret file {path}: {e}") from None
    return (text.splitlines()[0] if text else ""), loose
