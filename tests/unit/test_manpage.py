"""man/isc.8 is generated from the app; it must be current and render without groff warnings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from iscsi_client.cli.app import typer_app
from iscsi_client.cli.manpage import render

MAN = Path(__file__).resolve().parents[2] / "man" / "isc.8"


def test_checked_in_man_page_is_current():
    assert MAN.read_text() == render(typer_app()), \
        "man/isc.8 is out of date: python -m iscsi_client.cli.manpage > man/isc.8"


def test_man_page_has_the_sections_and_every_command():
    text = MAN.read_text()
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        assert f".SH {section}" in text
    for command in ("discover", "nodes add", "chap", "login", "logout", "startup", "initiator set", "sessions",
                    "status", "persist", "unpersist", "multipath config", "multipath status", "doctor",
                    "doctor explain", "completion install", "nodes set", "rescan", "iface", "iface add",
                    "iface delete", "config dump", "config restore"):
        assert f".SS {command}\n" in text
    assert "ISC_CHAP_PASSWORD" in text and "\\fBiscsiadm\\fR(8)" in text and "\\fBfstab\\fR(5)" in text


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_renders_without_warnings():
    r = subprocess.run(["groff", "-ww", "-man", "-Tutf8", "-z", str(MAN)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == ""
