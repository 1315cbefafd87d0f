"""The mount unit name isc looks for (doctor ISC044) is the one systemd itself derives from a path."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iscsi_client.system.services import mount_unit_name

ESCAPE = shutil.which("systemd-escape")

component = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1,
                    max_size=12).filter(lambda c: c not in (".", ".."))


@pytest.mark.skipif(ESCAPE is None, reason="systemd-escape is not installed")
@settings(max_examples=150, deadline=None)
@given(st.lists(component, max_size=4))
def test_same_name_as_systemd_escape(parts):
    path = "/" + "/".join(parts)
    assert ESCAPE is not None
    theirs = subprocess.run([ESCAPE, "--path", "--suffix=mount", path], capture_output=True, text=True, check=True)
    assert mount_unit_name(path) == theirs.stdout.strip()
