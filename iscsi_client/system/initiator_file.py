"""/etc/iscsi/initiatorname.iscsi: read, and replace atomically (with a backup)."""

from __future__ import annotations

from iscsi_client.model import Iqn
from iscsi_client.system.files import read_text, write_atomic
from iscsi_client.system.root import Root

PATH = "/etc/iscsi/initiatorname.iscsi"
DEBIAN_PREFIX = "iqn.1993-08.org.debian:01"


def read_initiator(root: Root) -> tuple[str | None, str]:
    """(the InitiatorName= value or None, the file's host path)."""
    text = read_text(root.str(PATH))
    if text is None:
        return None, PATH
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("InitiatorName="):
            return line.split("=", 1)[1].strip(), PATH
    return None, PATH


def render(name: Iqn, old_text: str | None) -> str:
    """The new file: comments kept, the InitiatorName line replaced (or added)."""
    lines = (old_text or "").splitlines(keepends=True)
    out, done = [], False
    for line in lines:
        if line.strip().startswith("InitiatorName="):
            if not done:
                out.append(f"InitiatorName={name}\n")
                done = True
            continue
        out.append(line)
    if not done:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(f"InitiatorName={name}\n")
    return "".join(out)


def write_initiator(root: Root, name: Iqn) -> tuple[str, str | None]:
    """Write the name; returns (host path, backup host path or None)."""
    path = root(PATH)
    saved = write_atomic(path, render(name, read_text(path)), mode=0o644)
    backup = None if saved is None else PATH.rsplit("/", 1)[0] + "/" + saved.name
    return PATH, backup


def generate_name(prefix: str = DEBIAN_PREFIX) -> Iqn:
    """A new unique name like iscsi-iname makes: PREFIX:<12 random hex digits>."""
    import secrets  # here: hmac and hashlib cost start-up time every discover and connect would pay

    return Iqn.parse(f"{prefix}:{secrets.token_hex(6)}")
