"""isc connect / disconnect on the two-portal LIO target with CHAP: one command from portal to a verified,
multipathed mount; a plan shown first; every step idempotent; a failed or killed run finished by the same
command; a reboot brings the mount back; disconnect leaves nothing and keeps the data."""

from __future__ import annotations

import json

import pytest
from guest_state import state
from labtargets import CHAP_SECRET, CHAP_USER, MULTI, MULTI_SECRET_FILE

pytestmark = pytest.mark.lab

SECRET_FILE = MULTI_SECRET_FILE
CONNECT = ("connect", "127.0.0.1", "--target", MULTI, "--chap-user", CHAP_USER, "--password-file", SECRET_FILE,
           "--mount", "/srv/db", "--mkfs", "--no-mtu")


def steps(doc) -> dict[str, dict]:
    return {s["step"]: s for s in doc["steps"]}


def test_dry_run_on_a_fresh_guest_prints_the_plan_and_changes_nothing(chap_on_multi):
    guest = chap_on_multi
    before = state(guest)
    r = guest.isc("--json", *CONNECT, "--dry-run")
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["dry_run"] and not doc["changed"]
    assert list(steps(doc)) == ["discover", "chap", "startup", "timeouts", "login", "multipath", "mount", "doctor"]
    disc = steps(doc)["discover"]
    assert disc["status"] == "would change"
    assert disc["commands"] == ["iscsiadm -m discovery -t st -p 127.0.0.1:3260 -o new"]
    assert all(s["status"] == "pending" for k, s in steps(doc).items() if k != "discover")
    assert state(guest) == before
    text = guest.isc(*CONNECT, "--dry-run")
    assert text.rc == 0 and "[1/8] discover" in text.stdout and "$ iscsiadm -m discovery" in text.stdout
    assert CHAP_SECRET not in r.stdout + r.stderr + text.stdout + text.stderr
    assert state(guest) == before


def test_a_wrong_secret_stops_at_login_and_the_same_command_finishes_it(chap_on_multi):
    guest = chap_on_multi
    guest.run(f"printf 'wrongsecret99\\n' > {SECRET_FILE}").check()
    r = guest.isc("--json", *CONNECT)
    assert r.rc == 4, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["error"]["step"] == "login" and "then run the same command again" in doc["error"]["hint"]
    assert steps(doc)["discover"]["changed"] and steps(doc)["chap"]["changed"]
    assert steps(doc)["multipath"]["status"] == "not run"
    assert "wrongsecret99" not in r.stdout + r.stderr
    assert guest.run("iscsiadm -m session").rc == 21  # no session with the wrong secret

    guest.run(f"printf '%s\\n' {CHAP_SECRET} > {SECRET_FILE}").check()
    r = guest.isc("--json", *CONNECT)
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    st = steps(doc)
    assert not st["discover"]["changed"]  # done by the first run
    assert st["chap"]["changed"] and st["login"]["changed"] and st["multipath"]["changed"]
    assert st["mount"]["changed"] and st["doctor"]["detail"] == "clean"
    assert CHAP_SECRET not in r.stdout + r.stderr
    assert all(CHAP_SECRET not in c for s in doc["steps"] for c in s["commands"])

    summary = doc["summary"]
    (wwid,) = summary["maps"]
    assert summary["mount"] == "/srv/db" and len(summary["sessions"]) == 2 and summary["findings"] == []
    ll = guest.run("multipath -ll").check().stdout
    assert ll.count("active ready running") == 2
    fstab = guest.run("cat /etc/fstab").check().stdout
    assert f"/dev/disk/by-id/dm-uuid-mpath-{wwid} /srv/db xfs _netdev,nofail 0 0" in fstab
    # systemd re-read fstab (daemon-reload before the mount) and holds the mount as fstab's unit, active
    unit = guest.run("systemctl show -p SourcePath -p ActiveState srv-db.mount").check().stdout.split()
    assert sorted(unit) == ["ActiveState=active", "SourcePath=/etc/fstab"], unit
    rec = guest.run(f"iscsiadm -m node -T {MULTI}").check().stdout
    assert rec.count("node.startup = automatic") == 2
    assert rec.count("node.session.timeo.replacement_timeout = 5") == 2
    assert json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["ok"]


def test_a_second_connect_changes_nothing(chap_on_multi):
    guest = chap_on_multi
    before = state(guest)
    r = guest.isc("--json", *CONNECT)
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert not doc["changed"] and all(not s["changed"] for s in doc["steps"]), doc["steps"]
    assert state(guest) == before
    guest.run("echo kept-across-disconnect > /srv/db/marker && sync").check()


def test_a_reboot_brings_the_mount_back(chap_on_multi):
    guest = chap_on_multi
    guest.reboot()
    guest.run("timeout 120 sh -c 'until findmnt /srv/db >/dev/null; do sleep 1; done'").check()
    assert guest.run("cat /srv/db/marker").check().stdout.strip() == "kept-across-disconnect"
    assert guest.run("multipath -ll").stdout.count("active ready running") == 2


def test_disconnect_leaves_nothing_and_keeps_the_data(chap_on_multi):
    guest = chap_on_multi
    (wwid,) = [ln.split()[0] for ln in guest.run("multipath -ll").stdout.splitlines() if " dm-" in ln]
    dry = guest.isc("--json", "disconnect", MULTI, "--dry-run")
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert [s["status"] for s in json.loads(dry.stdout)["steps"]] == ["would change"] * 4
    r = guest.isc("--json", "disconnect", MULTI)
    assert r.rc == 0, r.stdout + r.stderr
    done = {s["step"]: s["status"] for s in json.loads(r.stdout)["steps"]}
    # unpersist and the teardown already set node.startup manual: that step finds it done
    assert done == {"unpersist": "changed", "logout": "changed", "startup": "ok", "wwids": "changed"}
    left = state(guest)
    assert left["sessions"] == "" and left["disks"] == "" and left["mounts"] == ""
    assert guest.run("dmsetup ls --target multipath").stdout.strip() in ("", "No devices found")
    assert "/srv/db" not in left["fstab"]
    assert guest.run(f"grep -c '^/{wwid}/' /etc/multipath/wwids").stdout.strip() == "0"
    assert guest.run(f"iscsiadm -m node -T {MULTI}").stdout.count("node.startup = manual") == 2
    again = json.loads(guest.isc("--json", "disconnect", MULTI).check().stdout)
    assert not again["changed"]

    # the next connect, without --mkfs, finds the data where it was
    plain = [a for a in CONNECT if a != "--mkfs"]
    r = guest.isc("--json", *plain)
    assert r.rc == 0, r.stdout + r.stderr
    assert guest.run("cat /srv/db/marker").check().stdout.strip() == "kept-across-disconnect"


def test_a_connect_killed_in_the_middle_is_finished_by_the_same_command(chap_on_multi):
    guest = chap_on_multi
    guest.isc("disconnect", MULTI, "--forget").check()
    assert guest.run(f"iscsiadm -m node -T {MULTI}").rc == 21
    plain = " ".join(a for a in CONNECT if a != "--mkfs")
    # kill -9 once the login step has begun (a session exists), whatever isc is doing then
    guest.run(f"(isc {plain} >/dev/null 2>&1 &) ; timeout 60 sh -c "
              "'until iscsiadm -m session >/dev/null 2>&1; do sleep 0.2; done'; "
              "pkill -9 -f '[i]scsi_client connect'; true", timeout=120).check()
    r = guest.isc("--json", *plain.split())
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["mount"] == "/srv/db" and len(doc["summary"]["maps"]) == 1
    assert guest.run("cat /srv/db/marker").check().stdout.strip() == "kept-across-disconnect"
    # no temporary file of an atomic write is left where isc writes (fstab, multipath, records)
    assert guest.run("find /etc -name '*.isc-tmp'").check().stdout == ""
    guest.isc("disconnect", MULTI, "--forget").check()


def test_apply_of_a_dump_on_a_pristine_initiator_gives_the_same_dump(chap_on_multi):
    """dump -> every trace of the target removed from the initiator -> apply (with the secrets file) -> the
    same dump; apply again changes nothing; --prune would disconnect what the document leaves out."""
    guest = chap_on_multi
    plain = [a for a in CONNECT if a != "--mkfs"]
    guest.isc(*plain).check()
    guest.isc("config", "dump", "-o", "/root/before.toml").check()
    before = guest.run("cat /root/before.toml").check().stdout
    assert "login = true" in before and "/srv/db" in before and CHAP_SECRET not in before
    guest.run(f"umask 077 && printf '[\"%s\"]\\npassword = \"%s\"\\n' {MULTI} {CHAP_SECRET} > /root/secrets.toml"
              ).check()
    guest.isc("disconnect", MULTI, "--forget").check()
    guest.run("rm -f /etc/multipath/conf.d/isc.conf").check()
    pristine = state(guest)
    args = ("apply", "/root/before.toml", "--secrets", "/root/secrets.toml")

    dry = guest.isc("--json", *args, "--dry-run")
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert [s["status"] for s in json.loads(dry.stdout)["steps"]] == ["would change", "pending", "pending", "pending"]
    assert state(guest) == pristine

    r = guest.isc("--json", *args)
    assert r.rc == 0, r.stdout + r.stderr
    assert all(s["changed"] for s in json.loads(r.stdout)["steps"])
    assert CHAP_SECRET not in r.stdout + r.stderr + dry.stdout + dry.stderr
    assert guest.run("cat /srv/db/marker").check().stdout.strip() == "kept-across-disconnect"
    assert guest.isc("config", "dump").check().stdout == before
    again = json.loads(guest.isc("--json", *args).check().stdout)
    assert not again["changed"]

    # a document that names nothing: --prune plans to disconnect and forget every target, and a dry run
    # of it changes nothing
    guest.run("printf 'schema_version = 1\\n' > /root/empty.toml").check()
    now = state(guest)
    p = json.loads(guest.isc("--json", "apply", "/root/empty.toml", "--prune", "--dry-run").check().stdout)
    assert f"prune {MULTI}: logout" in [s["step"] for s in p["steps"]]
    assert state(guest) == now
    guest.isc("disconnect", MULTI, "--forget").check()


def test_connect_with_discovery_chap_and_mutual_chap_from_stdin(chap_on_multi):
    """A portal that wants discovery CHAP and a target with mutual CHAP: the discovery secret from a file,
    both CHAP secrets on stdin; none of them in any output; a second run changes nothing."""
    guest = chap_on_multi
    from labtargets import MUTUAL, MUTUAL_SECRET, MUTUAL_USER

    guest.run("targetcli /iscsi set discovery_auth enable=1 userid=discuser password=discsecret1234").check()
    try:
        guest.run("rm -rf /etc/iscsi/send_targets/* && umask 077 && echo discsecret1234 > /root/disc.secret").check()
        args = ("--json", "connect", "127.0.0.1", "--target", MUTUAL, "--chap-user", CHAP_USER,
                "--mutual-user", MUTUAL_USER, "--password-stdin", "--discovery-chap-user", "discuser",
                "--discovery-password-file", "/root/disc.secret", "--no-mtu")
        r = guest.isc(*args, stdin=f"{CHAP_SECRET}\n{MUTUAL_SECRET}\n")
        assert r.rc == 0, r.stdout + r.stderr
        doc = json.loads(r.stdout)
        st = steps(doc)
        assert st["discover"]["changed"] and st["chap"]["changed"] and st["login"]["changed"]
        assert [s["portal"] for s in doc["summary"]["sessions"]] == ["127.0.0.1:3260"]
        for secret in (CHAP_SECRET, MUTUAL_SECRET, "discsecret1234"):
            assert secret not in r.stdout + r.stderr
        st_config = guest.run("cat /etc/iscsi/send_targets/127.0.0.1,3260/st_config").check().stdout
        assert "discovery.sendtargets.auth.username = discuser" in st_config
        again = json.loads(guest.isc(*args, stdin=f"{CHAP_SECRET}\n{MUTUAL_SECRET}\n").check().stdout)
        assert not again["changed"]
    finally:
        guest.run("targetcli /iscsi set discovery_auth enable=0")
        guest.isc("disconnect", MUTUAL)
        guest.run("rm -rf /etc/iscsi/send_targets/*")
