"""CHAP secrets never reach iscsiadm's argv: isc chap, isc discover --chap-user and config restore
--secrets run the real iscsiadm (through a wrapper that records every argv) with a one-time placeholder
and put the secret in the record files under open-iscsi's lock; iscsiadm -o show -S reads it back, the
files keep mode 0600, and no placeholder or backup copy is left."""

from __future__ import annotations

import stat
from pathlib import Path

from hostenv import CHAP, CHAP_SECRET, CHAP_USER

MUTUAL = "mutualsecret99"


def spy(tmp_path: Path) -> tuple[dict[str, str], Path]:
    calls = tmp_path / "iscsiadm.calls"
    wrapper = tmp_path / "iscsiadm-spy"
    wrapper.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> {calls}\nexec /usr/sbin/iscsiadm \"$@\"\n")
    wrapper.chmod(0o755)
    return {"ISC_ISCSIADM": str(wrapper)}, calls


def record_files(host) -> list[Path]:
    return [p for p in (host.etc / "nodes").rglob("*") if p.is_file()] + \
           [p for p in (host.etc / "send_targets").rglob("st_config")]


def test_chap_and_mutual_chap_never_on_argv(tgtd, host, tmp_path):
    env, calls = spy(tmp_path)
    assert host.isc("discover", "127.0.0.1", env=env).returncode == 0
    r = host.isc("chap", CHAP, "--user", CHAP_USER, "--password-stdin", "--mutual-user", "tgt",
                 input=f"{CHAP_SECRET}\n{MUTUAL}\n", env=env)
    assert r.returncode == 0, r.stderr
    argv = calls.read_text()
    assert "-o update" in argv and "node.session.auth.password -v isc-pending-" in argv
    assert CHAP_SECRET not in argv and MUTUAL not in argv
    shown = host.iscsiadm("-m", "node", "-T", CHAP, "-o", "show", "-S").stdout
    assert f"node.session.auth.password = {CHAP_SECRET}\n" in shown
    assert f"node.session.auth.password_in = {MUTUAL}\n" in shown
    assert f"node.session.auth.username = {CHAP_USER}\n" in shown
    for p in record_files(host):
        text = p.read_text()
        assert "isc-pending-" not in text
        if CHAP_SECRET in text:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert not [p for p in host.etc.rglob("*") if ".isc-" in p.name]  # no backup, no temporary file
    # isc's own view: the CHAP is in place, so a second run changes nothing
    again = host.isc("--json", "chap", CHAP, "--user", CHAP_USER, "--password-stdin", "--mutual-user", "tgt",
                     input=f"{CHAP_SECRET}\n{MUTUAL}\n", env=env)
    assert again.returncode == 0, again.stderr


def test_discovery_chap_never_on_argv(tgtd, host, tmp_path):
    env, calls = spy(tmp_path)
    secret_file = tmp_path / "disc.secret"
    secret_file.write_text("discsecret1234\n")
    secret_file.chmod(0o600)
    r = host.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--password-file", str(secret_file), env=env)
    assert r.returncode == 0, r.stderr
    assert "discsecret1234" not in calls.read_text()
    (st,) = (host.etc / "send_targets").rglob("st_config")
    text = st.read_text()
    assert "discovery.sendtargets.auth.password = discsecret1234\n" in text and "isc-pending-" not in text
    assert stat.S_IMODE(st.stat().st_mode) == 0o600
