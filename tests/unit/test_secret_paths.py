"""Where a CHAP secret travels inside isc: the secret file reader and the iscsiadm runner. A real process
runs (an 'iscsiadm' that echoes its arguments); only the assertions look for the secret."""

from __future__ import annotations

import logging

import pytest

from iscsi_client.errors import IscError, UsageError
from iscsi_client.model import Secret
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root
from iscsi_client.system.secret_file import read_secret_file

SECRET = "s3cret-lab-1234"


def test_secret_file_first_line_and_loose_mode(tmp_path):
    f = tmp_path / "pw"
    f.write_text(f"{SECRET}\nignored second line\n")
    f.chmod(0o600)
    assert read_secret_file(f) == (SECRET, False)
    f.chmod(0o644)
    assert read_secret_file(f) == (SECRET, True)


def test_unreadable_or_binary_secret_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read the secret file"):
        read_secret_file(tmp_path / "missing")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError) as e:
        read_secret_file(tmp_path / "bin")
    assert e.value.exit_code == 2


def test_secret_reaches_the_tool_but_not_logs_output_or_observer(tmp_path, caplog):
    fake = tmp_path / "iscsiadm"
    fake.write_text("#!/bin/sh\necho \"$@\"\necho \"$@\" >&2\n")
    fake.chmod(0o755)
    seen: list[str] = []
    adm = Iscsiadm(Root(), binary=str(fake), observer=lambda line, dry: seen.append(line))
    logging.getLogger().setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        done = adm.run(["-m", "node", "-n", "node.session.auth.password", "-v", Secret(SECRET)],
                       mutating=False, action="test")
    assert done.rc == 0
    assert SECRET not in done.stdout + done.stderr and "********" in done.stdout
    assert SECRET not in " ".join(seen) and "********" in seen[0]
    assert SECRET not in caplog.text


def test_an_iscsiadm_killed_by_a_signal_is_an_error_without_the_secret(tmp_path):
    fake = tmp_path / "iscsiadm"
    fake.write_text("#!/bin/sh\nkill -9 $$\n")
    fake.chmod(0o755)
    adm = Iscsiadm(Root(), binary=str(fake))
    with pytest.raises(IscError) as e:
        adm.run(["-m", "node", "-n", "node.session.auth.password", "-v", Secret(SECRET)], mutating=False,
                action="test")
    assert "killed by signal 9" in e.value.message and "********" in e.value.message
    assert SECRET not in e.value.message and SECRET not in str(e.value.hint)
    assert e.value.__cause__ is None and e.value.__suppress_context__


def test_an_iscsiadm_that_times_out_leaves_no_exception_holding_the_real_argv(tmp_path):
    fake = tmp_path / "iscsiadm"
    fake.write_text("#!/bin/sh\nexec sleep 10\n")
    fake.chmod(0o755)
    adm = Iscsiadm(Root(), binary=str(fake), timeout=0.5)
    with pytest.raises(IscError) as e:
        adm.run(["-m", "node", "-n", "node.session.auth.password", "-v", Secret(SECRET)], mutating=False,
                action="test")
    assert "did not finish within" in e.value.message and "********" in e.value.message
    assert SECRET not in e.value.message
    # subprocess's TimeoutExpired (which holds the real command line) is not kept, not even as context
    assert e.value.__cause__ is None and e.value.__context__ is None
