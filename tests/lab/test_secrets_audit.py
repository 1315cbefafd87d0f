"""CHAP secrets on no command line at all, proven the way an auditor would: auditd records every execve
in the guest (auditctl -a always,exit -F arch=b64 -S execve) while isc chap (wrong, then right),
discover --chap-user against LIO's discovery authentication, config restore --secrets and connect run;
audit.log, the journal and /proc samples taken during the runs hold no secret, the logins with those
secrets behave (wrong refused, right logged in), and iscsiadm -o show -S shows what isc wrote."""

from __future__ import annotations

import json
import re

import pytest
from guest_state import start_cmdlines, stop_cmdlines
from labtargets import CHAP, CHAP_SECRET, CHAP_USER, MULTI

pytestmark = pytest.mark.lab

WRONG = "wrongsecret987"
DISC_SECRET = "discsecret4321"


@pytest.fixture(scope="module")
def audited(chap_on_multi):
    g = chap_on_multi
    g.run("targetcli /iscsi set discovery_auth enable=1 userid=discuser password=" + DISC_SECRET).check()
    for name, secret in (("chap.wrong", WRONG), ("chap.right", CHAP_SECRET), ("disc", DISC_SECRET)):
        g.run(f"umask 077 && cat > /root/{name}", stdin=secret + "\n").check()
    g.run("umask 077 && cat > /root/secrets.toml", stdin=f'["{CHAP}"]\npassword = "{CHAP_SECRET}"\n').check()
    g.run("systemctl is-active --quiet auditd || systemctl start auditd").check()
    g.run("auditctl -D >/dev/null && auditctl -a always,exit -F arch=b64 -S execve -k isc-exec").check()
    start_cmdlines(g)
    g.run("journalctl --rotate >/dev/null 2>&1; journalctl --vacuum-time=1s >/dev/null 2>&1; true")
    yield g
    g.run("touch /root/stop; auditctl -D >/dev/null; targetcli /iscsi set discovery_auth enable=0")  # on failure too


def test_every_secret_path_then_nothing_on_any_command_line(audited):
    g = audited
    disc = g.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--password-file", "/root/disc")
    assert disc.rc == 0, disc.stderr
    g.isc("chap", CHAP, "--user", CHAP_USER, "--password-file", "/root/chap.wrong").check()
    wrong = g.isc("login", CHAP)
    assert wrong.rc == 4 and "CHAP" in wrong.stdout + wrong.stderr
    g.isc("chap", CHAP, "--user", CHAP_USER, "--password-file", "/root/chap.right").check()
    shown = g.run(f"iscsiadm -m node -T {CHAP} -o show -S").check().stdout
    assert f"node.session.auth.password = {CHAP_SECRET}\n" in shown
    assert g.isc("login", CHAP).rc == 0
    assert g.isc("logout", CHAP).rc == 0
    dump = g.isc("config", "dump").check().stdout
    g.run("rm -rf /etc/iscsi/nodes/* && cat > /root/isc.toml", stdin=dump).check()
    g.isc("config", "restore", "/root/isc.toml", "--secrets", "/root/secrets.toml").check()
    assert f"node.session.auth.password = {CHAP_SECRET}\n" in g.run(
        f"iscsiadm -m node -T {CHAP} -o show -S").check().stdout
    assert g.isc("login", CHAP).rc == 0 and g.isc("logout", CHAP).rc == 0
    r = g.isc("--json", "connect", "127.0.0.1", "--target", MULTI, "--chap-user", CHAP_USER, "--password-file",
              "/root/chap.right", "--no-mtu")
    assert r.rc == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["steps"][1]["step"] == "chap"
    sampled = stop_cmdlines(g)
    audit = g.run("cat /var/log/audit/audit.log").check().stdout
    journal = g.run("journalctl -b --no-pager -o cat").stdout
    assert len(re.findall(r'a0="[^"]*iscsiadm"', audit)) >= 10, "auditd saw no iscsiadm"
    assert "-o update" in sampled or '"update"' in audit  # the sampler and audit did watch the updates
    for secret in (WRONG, CHAP_SECRET, DISC_SECRET):
        hexed = secret.encode().hex().upper()
        assert secret not in audit and hexed not in audit, f"{secret} in audit.log"
        assert secret not in sampled, f"{secret} on a command line in /proc"
        assert secret not in journal, f"{secret} in the journal"
    assert g.isc("disconnect", MULTI, "--forget").rc == 0
