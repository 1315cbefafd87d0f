"""Taking CHAP secrets from the user without ever taking them on isc's argv: a file (read by
system/secret_file.py), stdin, an environment variable, or a hidden prompt. Values are wrapped in
model.Secret at once."""

from __future__ import annotations

import os
import sys

from iscsi_client.errors import InvalidSecretError, UsageError
from iscsi_client.system.commands import SECRET_ENV

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from pathlib import Path

    from iscsi_client.model import Secret

ENV_SECRET, ENV_MUTUAL = SECRET_ENV


def read_secret(*, file: Path | None, use_stdin: bool, env_name: str, prompt: str,
                stdin_lines: list[str] | None = None) -> Secret:
    if file is not None:
        from iscsi_client.system.secret_file import read_secret_file

        value, loose = read_secret_file(file)
        if loose:
            from iscsi_client.output import note

            note(f"warning: {file} is readable by group or others (chmod 600 {file})")
    elif use_stdin:
        if stdin_lines is None:
            stdin_lines = sys.stdin.read().splitlines()
        if not stdin_lines:
            raise InvalidSecretError("no secret on standard input")
        value = stdin_lines.pop(0)
    elif os.environ.get(env_name):
        value = os.environ[env_name]
    elif sys.stdin.isatty():
        import getpass

        value = getpass.getpass(prompt)
        again = getpass.getpass("again: ")
        if value != again:
            raise InvalidSecretError("the two entries differ")
    else:
        raise UsageError(
            "no secret given",
            hint=f"use --password-file FILE, --password-stdin, or set {env_name}; "
                 "isc never takes secrets as arguments",
        )
    from iscsi_client.model import Secret

    return Secret(value)


def read_chap_secrets(*, user: str, password_file: Path | None, password_stdin: bool, mutual_user: str | None,
                      mutual_password_file: Path | None, what: str = "CHAP") -> tuple[Secret, Secret | None]:
    """The secret for ``user`` and, with ``mutual_user``, the mutual one: from their files, the first and
    second line of stdin, $ISC_CHAP_PASSWORD / $ISC_CHAP_MUTUAL_PASSWORD, or hidden prompts."""
    stdin_lines = sys.stdin.read().splitlines() if password_stdin else None
    secret = read_secret(file=password_file, use_stdin=password_stdin, env_name=ENV_SECRET,
                         prompt=f"{what} secret for {user}: ", stdin_lines=stdin_lines)
    mutual = None
    if mutual_user:
        mutual = read_secret(file=mutual_password_file, use_stdin=password_stdin and bool(stdin_lines),
                             env_name=ENV_MUTUAL, prompt=f"mutual {what} secret for {mutual_user}: ",
                             stdin_lines=stdin_lines)
    return secret, mutual
