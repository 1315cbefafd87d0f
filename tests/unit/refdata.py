"""Verbatim captures of the real tools, for parser tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def reference_stdout(name: str) -> str:
    """The [stdout] section of a verbatim reference capture (tests/fixtures/reference/...)."""
    text = (FIXTURES / "reference" / name).read_text()
    if "[stdout]\n" not in text:
        return text
    body = text.split("[stdout]\n", 1)[1]
    return body.split("[stderr]\n", 1)[0]
