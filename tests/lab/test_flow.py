"""The classic flow against real LIO in a real kernel: discover -> nodes -> chap -> login -> sessions ->
logout, asserting on what the kernel shows and not only on isc's output."""

from __future__ import annotations

import json

import pytest
from labtargets import (
    CHAP,
    CHAP_SECRET,
    CHAP_USER,
    INITIATOR,
    MULTI,
    MUTUAL,
    MUTUAL_SECRET,
    MUTUAL_USER,
    NOACL,
    NOLUN,
)

pytestmark = pytest.mark.lab


def kernel_sessions(guest) -> list[tuple[str, str]]:
    """(target, address) for every session in /sys/class/iscsi_session, read directly."""
    out = guest.run("for s in /sys/class/iscsi_session/session*; do [ -e \"$s\" ] || continue; n=${s##*session};"
                    " echo $(cat $s/targetname) $(cat /sys/class/iscsi_connection/connection$n:0/persistent_address);"
                    " done").check().stdout
    return sorted(tuple(line.split()) for line in out.splitlines() if line.strip())  # type: ignore[misc]


def iscsi_disks(guest) -> list[str]:
    out = guest.run("lsblk -S -n -o NAME,TRAN,VENDOR").check().stdout
    return [ln.split()[0] for ln in out.splitlines() if " iscsi " in f" {ln} " and "LIO-ORG" in ln]


def test_discover_lists_every_target_and_portal(guest):
    r = guest.isc("--json", "discover", "127.0.0.1")
    assert r.rc == 0, r.stderr
    found = {(t["target"], t["portal"]) for t in json.loads(r.stdout)["targets"]}
    assert found == {(MULTI, "127.0.0.1:3260"), (MULTI, "127.0.0.2:3260"), (CHAP, "127.0.0.1:3260"),
                     (MUTUAL, "127.0.0.1:3260"), (NOACL, "127.0.0.1:3260"), (NOLUN, "127.0.0.1:3260")}
    nodes = json.loads(guest.isc("--json", "nodes").stdout)["nodes"]
    assert len(nodes) == 6 and {n["tpgt"] for n in nodes} == {1}


def test_login_both_portals_then_logout(guest):
    r = guest.isc("login", MULTI)
    assert r.rc == 0, r.stderr
    assert kernel_sessions(guest) == [(MULTI, "127.0.0.1"), (MULTI, "127.0.0.2")]
    guest.run("udevadm settle").check()
    assert len(iscsi_disks(guest)) == 2
    listed = json.loads(guest.isc("--json", "sessions").stdout)["sessions"]
    assert sorted((s["target"], s["portal"], s["state"]) for s in listed) == [
        (MULTI, "127.0.0.1:3260", "LOGGED_IN"), (MULTI, "127.0.0.2:3260", "LOGGED_IN")]
    raw = guest.run("iscsiadm -m session").stdout
    assert all(f"[{s['sid']}]" in raw for s in listed)

    again = guest.isc("--json", "login", MULTI)
    assert again.rc == 0
    assert {o["status"] for o in json.loads(again.stdout)["logins"]} == {"already"}
    assert len(kernel_sessions(guest)) == 2  # no duplicate sessions

    # the initiator name changed under the live sessions (iscsid not restarted): doctor names both sessions
    guest.run("cp /etc/iscsi/initiatorname.iscsi /root/initiatorname.keep").check()
    try:
        guest.isc("initiator", "set", "iqn.2005-03.org.isc.lab:renamed").check()
        found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
        (renamed,) = [f for f in found if f["code"] == "ISC004"]
        assert sorted(renamed["subject"].split(",")) == sorted(str(s["sid"]) for s in listed)
        assert f"logged in as {INITIATOR}" in renamed["summary"]
    finally:
        guest.run("cp /root/initiatorname.keep /etc/iscsi/initiatorname.iscsi").check()
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    assert not [f for f in found if f["code"] == "ISC004"]

    out = guest.isc("logout", MULTI)
    assert out.rc == 0, out.stderr
    assert kernel_sessions(guest) == []
    assert guest.isc("logout", MULTI).rc == 0  # nothing to do is success


def test_discover_login_in_one_step(guest):
    """isc discover PORTAL --login --target IQN: one process, like iscsiadm's discovery --login, but only the
    named target, on every portal the discovery returned for it, and only back once its disks exist."""
    r = guest.isc("--json", "discover", "127.0.0.1", "--login", "--target", MULTI)
    assert r.rc == 0, r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["targets"]) == 6
    logins = sorted((x["portal"], x["status"]) for x in doc["logins"])
    assert logins == [("127.0.0.1:3260", "done"), ("127.0.0.2:3260", "done")]
    assert kernel_sessions(guest) == [(MULTI, "127.0.0.1"), (MULTI, "127.0.0.2")]
    # the devices isc names exist when it returns, without a settle first
    reported = sorted(d for x in doc["logins"] for d in x["devices"])
    assert len(reported) == 2
    assert guest.run(" && ".join(f"test -b {d}" for d in reported)).rc == 0
    assert sorted(f"/dev/{d}" for d in iscsi_disks(guest)) == reported

    again = guest.isc("--json", "discover", "127.0.0.1", "--login", "--target", MULTI)
    assert again.rc == 0, again.stderr
    doc = json.loads(again.stdout)
    assert {t["record"] for t in doc["targets"]} == {"kept"}
    assert {x["status"] for x in doc["logins"]} == {"already"}
    assert len(kernel_sessions(guest)) == 2
    assert guest.isc("logout", MULTI).rc == 0


def test_chap_missing_wrong_then_right(guest):
    missing = guest.isc("--json", "login", CHAP)
    assert missing.rc == 4
    (o,) = json.loads(missing.stdout)["logins"]
    assert o["error"]["iscsiadm_rc"] == 24 and "CHAP is not set" in o["error"]["hint"]
    assert INITIATOR in o["error"]["hint"]

    wrong = guest.isc("chap", CHAP, "--user", CHAP_USER, "--password-stdin", stdin="wrongsecret99\n")
    assert wrong.rc == 0, wrong.stderr
    bad = guest.isc("login", CHAP)
    assert bad.rc == 4 and "CHAP" in bad.stdout + bad.stderr
    assert kernel_sessions(guest) == []

    assert guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).rc == 0
    ok = guest.isc("login", CHAP)
    assert ok.rc == 0, ok.stdout + ok.stderr
    assert kernel_sessions(guest) == [(CHAP, "127.0.0.1")]
    (live,) = json.loads(guest.isc("--json", "sessions").stdout)["sessions"]
    assert live["chap_user"] == CHAP_USER  # the user the kernel's session logged in with
    # the record changed under the live session: doctor says the session still runs as before
    guest.isc("chap", CHAP, "--user", "someoneelse", env={"ISC_CHAP_PASSWORD": "anotherSecret12"}).check()
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    (changed,) = [f for f in found if f["code"] == "ISC053"]
    assert f"as CHAP user {CHAP_USER}" in changed["summary"] and "CHAP user someoneelse" in changed["summary"]
    guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    assert not [f for f in found if f["code"] == "ISC053"]
    assert guest.isc("logout", CHAP).rc == 0
    assert kernel_sessions(guest) == []


@pytest.mark.parametrize("length", [17, 64, 255])
def test_secret_lengths_the_lab_kernel_accepts(guest, length):
    """LIO stores and checks CHAP secrets longer than the 16 characters some arrays and Windows take: isc
    refuses them by default (nothing is written) and sets them with --allow-long-secret."""
    secret = ("LongLabSecret-0123456789" * 11)[:length]
    acl = f"/iscsi/{CHAP}/tpg1/acls/{INITIATOR}"
    guest.run(f"targetcli {acl} set auth password={secret}").check()
    try:
        before = guest.run(f"iscsiadm -m node -T {CHAP} -o show -S").stdout
        refused = guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": secret})
        assert refused.rc == 2 and "--allow-long-secret" in refused.stderr
        assert guest.run(f"iscsiadm -m node -T {CHAP} -o show -S").stdout == before
        guest.isc("chap", CHAP, "--user", CHAP_USER, "--allow-long-secret",
                  env={"ISC_CHAP_PASSWORD": secret}).check()
        ok = guest.isc("login", CHAP)
        assert ok.rc == 0, ok.stdout + ok.stderr
        assert kernel_sessions(guest) == [(CHAP, "127.0.0.1")]
        guest.isc("logout", CHAP).check()
    finally:
        guest.run(f"targetcli {acl} set auth password={CHAP_SECRET}").check()
        guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()


def test_mutual_chap(guest):
    r = guest.isc("chap", CHAP, "--user", CHAP_USER, "--mutual-user", MUTUAL_USER, "--password-stdin",
                  stdin=f"{CHAP_SECRET}\n{MUTUAL_SECRET}\n")
    assert r.rc == 0
    r = guest.isc("chap", MUTUAL, "--user", CHAP_USER, "--mutual-user", MUTUAL_USER, "--password-stdin",
                  stdin=f"{CHAP_SECRET}\nnotthetarget1\n")
    assert r.rc == 0
    bad = guest.isc("login", MUTUAL)
    assert bad.rc != 0 and kernel_sessions(guest) == []
    guest.isc("chap", MUTUAL, "--user", CHAP_USER, "--mutual-user", MUTUAL_USER, "--password-stdin",
              stdin=f"{CHAP_SECRET}\n{MUTUAL_SECRET}\n").check()
    ok = guest.isc("login", MUTUAL)
    assert ok.rc == 0, ok.stdout + ok.stderr
    assert kernel_sessions(guest) == [(MUTUAL, "127.0.0.1")]
    guest.isc("logout", MUTUAL).check()


def test_no_acl_names_the_initiator(guest):
    r = guest.isc("login", NOACL)
    assert r.rc == 4
    assert INITIATOR in r.stderr and "ACL" in r.stderr


def test_rediscovery_keeps_startup_and_chap(guest):
    guest.isc("startup", CHAP, "automatic").check()
    guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    r = guest.isc("--json", "discover", "127.0.0.1")
    assert r.rc == 0
    assert {t["record"] for t in json.loads(r.stdout)["targets"]} == {"kept"}
    rec = guest.run(f"iscsiadm -m node -T {CHAP} -p 127.0.0.1 -S").check().stdout
    assert "node.startup = automatic" in rec and f"node.session.auth.password = {CHAP_SECRET}" in rec
    assert guest.isc("login", CHAP).rc == 0  # the kept credentials still work
    guest.isc("logout", CHAP).check()


def test_discovery_chap_kept_by_rediscovery_and_cleared_on_request(guest):
    """LIO with discovery authentication: isc says what the portal wants, a rediscovery without
    --chap-user keeps working (the record keeps its CHAP; plain iscsiadm -m discovery would drop it),
    and once the target stops asking, --clear-chap takes it off."""
    disc = guest.run("targetcli /iscsi set discovery_auth enable=1 userid=discuser password=discsecret1234")
    disc.check()
    try:
        guest.run("rm -rf /etc/iscsi/send_targets/*").check()
        refused = guest.isc("discover", "127.0.0.1")
        assert refused.rc == 4, refused.stderr
        assert "wants discovery CHAP" in refused.stderr and INITIATOR in refused.stderr
        wrong = guest.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--password-stdin",
                          stdin="wrongsecret123\n")
        assert wrong.rc == 4 and "refused discovery CHAP user 'discuser'" in wrong.stderr
        guest.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--password-stdin",
                  stdin="discsecret1234\n").check()
        again = guest.isc("--json", "discover", "127.0.0.1")
        assert again.rc == 0, again.stderr
        assert {t["record"] for t in json.loads(again.stdout)["targets"]} == {"kept"}
        listed = json.loads(guest.isc("--json", "discover", "--list").stdout)["discovery_records"]
        assert [(r["portal"], r["auth"], r["chap_user"]) for r in listed] == [
            ("127.0.0.1:3260", "CHAP", "discuser")]
        # mutual discovery CHAP: the target proves itself too
        guest.run("targetcli /iscsi set discovery_auth mutual_userid=disctgt mutual_password=discmutual123").check()
        impostor = guest.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--mutual-user", "disctgt",
                             "--password-stdin", stdin="discsecret1234\nnotthetarget1\n")
        assert impostor.rc != 0  # the target could not prove itself with the secret this host expects
        mutual = guest.isc("discover", "127.0.0.1", "--chap-user", "discuser", "--mutual-user", "disctgt",
                           "--password-stdin", stdin="discsecret1234\ndiscmutual123\n")
        assert mutual.rc == 0, mutual.stderr
        assert "discmutual123" not in mutual.stdout + mutual.stderr
        listed = json.loads(guest.isc("--json", "discover", "--list").stdout)["discovery_records"]
        assert [(r["auth"], r["chap_user"], r["chap_user_in"]) for r in listed] == [
            ("mutual CHAP", "discuser", "disctgt")]
        assert guest.isc("discover", "127.0.0.1").rc == 0  # kept, mutual part included
        # dumped without the secrets, wiped, restored with them from a mode-600 file: discovery works again
        dump = guest.isc("config", "dump").check().stdout
        assert "discsecret1234" not in dump and 'chap_user = "discuser"' in dump
        guest.run("rm -rf /etc/iscsi/send_targets && cat > /root/disc.toml", stdin=dump).check()
        guest.run("umask 077 && cat > /root/disc-secrets.toml", stdin='[discovery."127.0.0.1:3260"]\n'
                  'password = "discsecret1234"\nmutual_password = "discmutual123"\n').check()
        guest.isc("config", "restore", "/root/disc.toml", "--secrets", "/root/disc-secrets.toml").check()
        assert guest.isc("discover", "127.0.0.1").rc == 0

        guest.run("targetcli /iscsi set discovery_auth enable=0 mutual_userid= mutual_password=").check()
        stale = guest.isc("discover", "127.0.0.1")
        assert stale.rc != 0 and "--clear-chap" in stale.stderr
        guest.isc("discover", "127.0.0.1", "--clear-chap").check()
        assert guest.isc("discover", "127.0.0.1").rc == 0
        st = guest.run("cat /etc/iscsi/send_targets/127.0.0.1,3260/st_config").check().stdout
        assert "auth.authmethod = None" in st and "discuser" not in st
    finally:
        guest.run("targetcli /iscsi set discovery_auth enable=0; rm -rf /etc/iscsi/send_targets/*")


def test_refused_portal(guest):
    r = guest.isc("discover", "127.0.0.1:3299")
    assert r.rc == 5 and "did not answer" in r.stderr


def test_secrets_never_in_isc_output_or_journal(guest):
    r = guest.isc("-v", "chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET})
    assert CHAP_SECRET not in r.stdout + r.stderr
    for args in (["--json", "nodes"], ["nodes"], ["--json", "sessions"]):
        out = guest.isc(*args)
        assert CHAP_SECRET not in out.stdout + out.stderr


def test_login_through_an_iface_bound_to_a_netdev(guest):
    """isc iface add NAME --netdev DEV; discovery and login through it: the kernel's session carries it."""
    assert kernel_sessions(guest) == []
    guest.isc("discover", "127.0.0.1").check()  # records through default, made before any iface exists
    assert guest.isc("iface", "add", "iface-lo", "--netdev", "lo").rc == 0
    try:
        r = guest.isc("--json", "discover", "127.0.0.1", "-I", "iface-lo", "--login", "--target", MULTI)
        assert r.rc == 0, r.stderr
        # the default records beside the bound iface: doctor warns, and nodes delete -I default removes them
        findings = json.loads(guest.isc("--json", "doctor").stdout)["findings"]
        mixed = {x["subject"] for x in findings if x["code"] == "ISC025" and x["level"] == "warning"}
        assert {f"{MULTI} 127.0.0.1:3260", f"{MULTI} 127.0.0.2:3260"} <= mixed
        guest.isc("nodes", "delete", MULTI, "-I", "default").check()
        assert {n["iface"] for n in json.loads(guest.isc("--json", "nodes").stdout)["nodes"]
                if n["target"] == MULTI} == {"iface-lo"}
        sysfs = guest.run("cat /sys/class/iscsi_session/session*/ifacename").check().stdout.split()
        assert sysfs == ["iface-lo", "iface-lo"]
        listed = json.loads(guest.isc("--json", "sessions").stdout)["sessions"]
        assert {s["iface"] for s in listed} == {"iface-lo"}
        assert guest.isc("status").check().stdout.count("iface iface-lo") == 2
        (row,) = [i for i in json.loads(guest.isc("--json", "iface").stdout)["ifaces"] if i["name"] == "iface-lo"]
        assert (row["netdev"], row["sessions"]) == ("lo", 2) and row["records"] >= 2
        busy = guest.isc("iface", "delete", "iface-lo")
        assert busy.rc == 7 and "carries 2 session(s)" in busy.stderr
        # the discovery through iface-lo named both records of each MULTI portal, default's and its own
        assert (MULTI, ("default", "iface-lo")) in {(t["target"], tuple(t["ifaces"]))
                                                    for t in json.loads(r.stdout)["targets"]}
        # without -I, iscsiadm discovers through every iface in /etc/iscsi/ifaces, no longer 'default': isc says so
        guest.run(f"iscsiadm -m node -T {CHAP} -I iface-lo -o delete").check()
        plain = guest.isc("discover", "127.0.0.1")
        assert plain.rc == 0, plain.stderr
        assert "IFACE" in plain.stdout and "the new records go through iface iface-lo" in plain.stderr

        # one portal through two ifaces: a session for each, and -I picks one of them
        guest.isc("iface", "add", "iface-lo2", "--netdev", "lo").check()
        guest.isc("discover", "127.0.0.1", "-I", "iface-lo2").check()
        second = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1", "-I", "iface-lo2")
        assert second.rc == 0, second.stderr
        assert [(o["iface"], o["status"]) for o in json.loads(second.stdout)["logins"]] == [("iface-lo2", "done")]
        assert kernel_sessions(guest) == [(MULTI, "127.0.0.1"), (MULTI, "127.0.0.1"), (MULTI, "127.0.0.2")]
        guest.isc("logout", MULTI, "-I", "iface-lo2").check()
        names = guest.run("cat /sys/class/iscsi_session/session*/ifacename").check().stdout.split()
        assert sorted(names) == ["iface-lo", "iface-lo"]
        # a session through iface-lo does not count for iface-lo2's record of the same portal
        again = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1")
        assert again.rc == 0, again.stderr
        assert sorted((o["iface"], o["status"]) for o in json.loads(again.stdout)["logins"]) == [
            ("iface-lo", "already"), ("iface-lo2", "done")]
        table = guest.isc("logout", MULTI, "-I", "iface-lo2").check().stdout
        assert "IFACE" in table and "iface-lo2" in table  # the table names the iface when it matters
        assert guest.isc("logout", MULTI).rc == 0
    finally:
        # sessions would keep records and ifaces alive, and later discoveries would use every iface left
        guest.run("iscsiadm -m node -u; iscsiadm -m node -I iface-lo -o delete; "
                  "iscsiadm -m node -I iface-lo2 -o delete; iscsiadm -m iface -I iface-lo2 -o delete")
        gone = guest.isc("iface", "delete", "iface-lo")
    assert gone.rc == 0, gone.stderr


def test_ipv6_portal_discover_login_status_logout(guest):
    """An IPv6 portal end to end: brackets on the command line and in isc's output, none in sysfs or in the
    record directory names, the by-path link udev makes, and logout by that portal."""
    guest.run(f"targetcli /iscsi/{MULTI}/tpg1/portals create ::1 3260").check()
    try:
        r = guest.isc("--json", "discover", "[::1]")
        assert r.rc == 0, r.stderr
        assert (MULTI, "[::1]:3260") in {(t["target"], t["portal"]) for t in json.loads(r.stdout)["targets"]}
        r = guest.isc("--json", "login", MULTI, "-p", "[::1]")
        assert r.rc == 0, r.stderr
        (o,) = json.loads(r.stdout)["logins"]
        assert (o["portal"], o["status"]) == ("[::1]:3260", "done") and len(o["devices"]) == 1
        assert kernel_sessions(guest) == [(MULTI, "::1")]
        # the by-path link udev made for an IPv6 portal (its own spelling), as isc reports it
        (link,) = guest.run("ls /dev/disk/by-path/ | grep iscsi").check().stdout.split()
        assert "::1" in link and link.endswith(f"-iscsi-{MULTI}-lun-0")
        assert guest.run(f"readlink -f '/dev/disk/by-path/{link}'").check().stdout.strip() == o["devices"][0]
        (t,) = json.loads(guest.isc("--json", "status").check().stdout)["targets"]
        (s,) = t["sessions"]
        dev = s["luns"][0]["device"]
        assert s["portal"] == "[::1]:3260" and dev["path"] == o["devices"][0]
        assert f"/dev/disk/by-path/{link}" in dev["links"]
        out = guest.isc("logout", MULTI, "-p", "[::1]:3260")
        assert out.rc == 0, out.stderr
        assert kernel_sessions(guest) == []
    finally:
        guest.run(f"iscsiadm -m node -T {MULTI} -p '[::1]:3260' -o delete; "
                  f"targetcli /iscsi/{MULTI}/tpg1/portals delete ::1 3260")


def test_config_dump_wipe_restore_then_chap_login_works(guest):
    """The dump carries no secret; restored records with the secret from a mode-600 file log in to LIO."""
    # a clean database: earlier tests left mutual CHAP on another record, which needs its own secrets
    guest.run("rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets").check()
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    guest.isc("nodes", "set", CHAP, "node.session.timeo.replacement_timeout=7").check()
    dump = guest.isc("config", "dump").check().stdout
    assert CHAP_SECRET not in dump and f'chap_user = "{CHAP_USER}"' in dump
    guest.run("rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets && cat > /root/isc.toml", stdin=dump).check()
    guest.run("umask 077 && cat > /root/secrets.toml", stdin=f'["{CHAP}"]\npassword = "{CHAP_SECRET}"\n').check()
    r = guest.isc("config", "restore", "/root/isc.toml", "--secrets", "/root/secrets.toml")
    assert r.rc == 0, r.stderr
    assert CHAP_SECRET not in r.stdout + r.stderr
    assert guest.isc("config", "dump").check().stdout == dump
    login = guest.isc("--json", "login", CHAP)
    assert login.rc == 0, login.stdout + login.stderr
    assert [o["status"] for o in json.loads(login.stdout)["logins"]] == ["done"]
    tmo = guest.run("cat /sys/class/iscsi_session/session*/recovery_tmo").check().stdout.split()
    assert tmo == ["7"]  # the restored setting is what the kernel's session runs with
    assert guest.isc("logout", CHAP).rc == 0


ISNS_SETUP = """set -e
mkdir -p /run/isns
printf 'Database = /run/isns/db\\nPIDFile = /run/isns/isnsd.pid\\nControlSocket = /run/isns/control\\n\
Security = 0\\nDefaultDiscoveryDomain = 1\\nSLPRegister = 0\\n' > /run/isns/isnsd.conf
printf 'ServerAddress = 127.0.0.1\\nSecurity = 0\\nControlSocket = /run/isns/control\\nSourceName = {target}\\n' \
  > /run/isns/isnsadm.conf
isnsd --config /run/isns/isnsd.conf
timeout 30 sh -c 'until ss -lnt | grep -q ":3205 "; do sleep 0.2; done'
isnsadm --config /run/isns/isnsadm.conf --register target={target} portal=127.0.0.1:3260 portal=127.0.0.2:3260
"""


def test_isns_discovery_records_the_server_then_logs_in_and_forgets(guest):
    """A real iSNS server (open-isns isnsd) in the guest. LIO has no iSNS client, so isnsadm registers MULTI
    and its two portals, as a target host's client would; iscsiadm then asks the server over TCP 3205."""
    guest.run(ISNS_SETUP.format(target=MULTI)).check()
    try:
        guest.isc("logout", "--all").check()
        assert guest.isc("nodes", "delete", MULTI).rc in (0, 3)  # 3: no record (this test alone)
        r = guest.isc("--json", "discover", "--isns", "127.0.0.1")
        assert r.rc == 0, r.stderr
        assert {(t["target"], t["portal"], t["record"]) for t in json.loads(r.stdout)["targets"]} == {
            (MULTI, "127.0.0.1:3260", "new"), (MULTI, "127.0.0.2:3260", "new")}
        # iscsiadm's own view: the server has a discovery record, the node records came through it
        assert "127.0.0.1:3205 via isns" in guest.run("iscsiadm -m discoverydb").check().stdout
        record = guest.run(f"iscsiadm -m node -T {MULTI} -p 127.0.0.2").check().stdout
        assert "node.discovery_type = isns" in record and "node.discovery_port = 3205" in record
        listed = json.loads(guest.isc("--json", "discover", "--list").check().stdout)["discovery_records"]
        assert {"portal": "127.0.0.1:3205", "type": "isns", "auth": "None", "chap_user": None,
                "chap_user_in": None} in listed
        assert guest.isc("login", MULTI).rc == 0
        assert kernel_sessions(guest) == [(MULTI, "127.0.0.1"), (MULTI, "127.0.0.2")]
        # forgetting the server is refused while its records are in use
        busy = guest.isc("discover", "--forget", "--isns", "127.0.0.1")
        assert busy.rc != 0 and "in use" in busy.stderr
        assert guest.isc("logout", MULTI).rc == 0
        # nothing listens on 3299: iscsiadm's rc 25 in plain words, and no record is left for that port
        bad = guest.isc("discover", "--isns", "127.0.0.1:3299")
        assert bad.rc == 5 and "iSNS query failed" in bad.stderr and "Traceback" not in bad.stderr
        assert "hint: check that an iSNS server listens on that address and port (default 3205)" in bad.stderr
        assert "3299" not in guest.run("iscsiadm -m discoverydb").stdout
        gone = guest.isc("--json", "discover", "--forget", "--isns", "127.0.0.1")
        assert gone.rc == 0, gone.stderr
        assert sorted(n["portal"] for n in json.loads(gone.stdout)["records_deleted"]) == [
            "127.0.0.1:3260", "127.0.0.2:3260"]
        assert guest.run(f"iscsiadm -m node -T {MULTI}").rc != 0
        assert "isns" not in guest.run("iscsiadm -m discoverydb").stdout
    finally:
        guest.run("pkill -x isnsd; iscsiadm -m discovery -t st -p 127.0.0.1 -o new >/dev/null")
