"""isc against tgt (stgt), the lab's second target: tgtd in the same guest as LIO, on 127.0.0.3 and 127.0.0.4
(tests/lab/guest/tgt-targets.conf), with the guest's real kernel initiator. Discovery, CHAP one-way and
mutual (wrong, then right), an initiator-address ACL, a LUN of each block backing store, the controller LUN
tgt adds, a LUN added and removed while logged in, two portals made one map with isc's IET entry, connect, a
reboot, apply of the dumped setup and disconnect. Where tgt and LIO
differ, isc gives the same clear outcome; tests/lab/NOTES.md lists the differences."""

from __future__ import annotations

import json

import pytest
from guest_state import state
from labtargets import CHAP_SECRET, CHAP_USER, INITIATOR, MUTUAL_SECRET, MUTUAL_USER, NOACL

pytestmark = pytest.mark.lab

T = "iqn.2003-01.org.isc.lab:tgt-"
P3, P4 = "127.0.0.3:3260", "127.0.0.4:3260"
SECRET_FILE = "/root/tgt.secret"
CONNECT = ("connect", "127.0.0.3", "127.0.0.4", "--target", f"{T}chap", "--chap-user", CHAP_USER,
           "--password-file", SECRET_FILE, "--mount", "/srv/tgt", "--mkfs", "-t", "ext4", "--no-mtu")


@pytest.fixture(scope="module")
def tgt(guest):
    guest.run("timeout 60 sh -c 'until systemctl is-active -q tgt; do sleep 0.5; done'").check()
    return guest


def sessions(guest) -> list[tuple[str, str]]:
    doc = json.loads(guest.isc("--json", "sessions").check().stdout)
    return sorted((s["target"], s["portal"]) for s in doc["sessions"])


def test_discovery_answers_with_the_portal_asked_only(tgt):
    found = json.loads(tgt.isc("--json", "discover", "127.0.0.3").check().stdout)["targets"]
    names = ("chap", "multi", "mutual", "stores")  # tgt-acl admits another address only: tgt hides it
    assert sorted((t["target"], t["portal"]) for t in found) == [(f"{T}{n}", P3) for n in names]
    found = json.loads(tgt.isc("--json", "discover", "127.0.0.4").check().stdout)["targets"]
    assert sorted((t["target"], t["portal"]) for t in found) == [(f"{T}{n}", P4) for n in names]
    assert all(t["record"] == "new" for t in found)
    nodes = json.loads(tgt.isc("--json", "nodes").check().stdout)["nodes"]
    assert sorted((n["target"], n["portal"]) for n in nodes) == sorted(
        (f"{T}{n}", p) for n in names for p in (P3, P4))


def test_each_backing_store_and_the_controller_lun(tgt):
    # as if only 127.0.0.3 had been asked: tgt's answer there names no other portal
    tgt.run(f"iscsiadm -m node -o delete -T {T}stores -p 127.0.0.4").check()
    r = tgt.isc("--json", "login", f"{T}stores")
    assert r.rc == 0, r.stdout + r.stderr
    ((o,),) = [json.loads(r.stdout)["logins"]]
    assert o["status"] == "done" and len(o["devices"]) == 3  # the controller LUN has no block device
    (target,) = json.loads(tgt.isc("--json", "status").check().stdout)["targets"]
    (s,) = target["sessions"]
    luns = {lun["lun"]: lun for lun in s["luns"]}
    assert sorted(luns) == [0, 1, 2, 3]
    assert (luns[0]["scsi_type"], luns[0]["inquiry"], luns[0]["device"]) == ("controller", "IET Controller", None)
    for n, size in ((1, 64 << 20), (2, 64 << 20), (3, 1 << 40)):  # rdwr, aio, null (tgt's null is 1 TiB)
        d = luns[n]["device"]
        assert luns[n]["scsi_type"] == "disk" and (d["vendor"], d["model"]) == ("IET", "VIRTUAL-DISK")
        assert d["size_bytes"] == size
    text = tgt.isc("status").check().stdout
    assert "LUN 0 (" in text and "IET Controller (controller), no block device" in text

    # data goes to the file and comes back through rdwr and aio; null takes I/O and keeps nothing
    dev = {n: luns[n]["device"]["path"] for n in (1, 2, 3)}
    tgt.run("head -c 1048576 /dev/urandom > /root/blob").check()
    for n in (1, 2, 3):
        tgt.run(f"dd if=/root/blob of={dev[n]} bs=1M oflag=direct status=none && "
                f"dd if={dev[n]} of=/root/back bs=1M count=1 iflag=direct status=none").check()
        same = tgt.run("cmp -s /root/blob /root/back").rc == 0
        assert same == (n != 3), n

    # persist never takes the controller, and asks which disk when there are several
    ctl = tgt.isc("persist", f"{T}stores/0", "/srv/ctl")
    assert ctl.rc == 2 and "is a controller (IET Controller), not a disk" in ctl.stderr
    many = tgt.isc("persist", f"{T}stores", "/srv/ctl")
    assert many.rc == 2 and "has LUNs 1, 2, 3" in many.stderr

    # one portal of a tgt target: doctor says that tgt answers discovery with the asked portal only
    found = json.loads(tgt.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    hints = [f for f in found if f["code"] == "ISC027"]
    assert len(hints) == 3 and all(f["level"] == "ok" for f in hints)
    assert not [f for f in found if f["level"] in ("warning", "failure")], found

    r = tgt.isc("logout", f"{T}stores", "--teardown")
    assert r.rc == 0, r.stdout + r.stderr
    assert sessions(tgt) == [] and tgt.run("ls /sys/class/scsi_disk/").stdout == ""


def test_chap_missing_wrong_then_right(tgt):
    missing = tgt.isc("--json", "login", f"{T}chap", "-p", "127.0.0.3")
    assert missing.rc == 4
    (o,) = json.loads(missing.stdout)["logins"]
    assert o["error"]["iscsiadm_rc"] == 24 and "CHAP is not set" in o["error"]["hint"]
    tgt.isc("chap", f"{T}chap", "--user", CHAP_USER, "--password-stdin", stdin="wrongsecret99\n").check()
    wrong = tgt.isc("login", f"{T}chap", "-p", "127.0.0.3")
    assert wrong.rc == 4 and f"CHAP user '{CHAP_USER}' is set" in wrong.stderr and sessions(tgt) == []
    tgt.isc("chap", f"{T}chap", "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    ok = tgt.isc("login", f"{T}chap", "-p", "127.0.0.3")
    assert ok.rc == 0, ok.stdout + ok.stderr
    (live,) = json.loads(tgt.isc("--json", "sessions").stdout)["sessions"]
    assert live["chap_user"] == CHAP_USER
    tgt.isc("logout", f"{T}chap").check()


def test_mutual_chap_wrong_then_right(tgt):
    def chap(target_secret: str) -> None:
        tgt.isc("chap", f"{T}mutual", "--user", CHAP_USER, "--mutual-user", MUTUAL_USER, "--password-stdin",
                stdin=f"{CHAP_SECRET}\n{target_secret}\n").check()

    chap("notthetarget1")
    bad = tgt.isc("--json", "login", f"{T}mutual", "-p", "127.0.0.3")
    assert bad.rc == 1 and sessions(tgt) == []
    (o,) = json.loads(bad.stdout)["logins"]
    # the initiator refused the target's answer: 19 from tgt as from LIO, and the hint says mutual CHAP
    assert o["error"]["iscsiadm_rc"] == 19 and "non-retryable" in o["error"]["message"]
    assert f"mutual CHAP, target user '{MUTUAL_USER}'" in o["error"]["hint"]
    chap(MUTUAL_SECRET)
    ok = tgt.isc("login", f"{T}mutual", "-p", "127.0.0.3")
    assert ok.rc == 0, ok.stdout + ok.stderr
    tgt.isc("logout", f"{T}mutual").check()


def test_an_acl_refusal_names_the_acl_and_the_initiator_as_for_lio(tgt):
    tgt.run(f"iscsiadm -m node -o new -T {T}acl -p 127.0.0.3 >/dev/null").check()
    tgt.isc("discover", "127.0.0.1").check()
    for target, rc in ((f"{T}acl", 19), (NOACL, 24)):  # tgt: "target not found" (02/03); LIO: authorization
        r = tgt.isc("--json", "login", target)
        assert r.rc != 0, r.stdout
        (o,) = json.loads(r.stdout)["logins"]
        assert o["status"] == "failed" and o["error"]["iscsiadm_rc"] == rc
        assert "ACL" in o["error"]["hint"] and INITIATOR in o["error"]["hint"], o["error"]
    assert sessions(tgt) == []
    tgt.run(f"iscsiadm -m node -o delete -T {T}acl; iscsiadm -m node -o delete -p 127.0.0.1").check()


def test_a_lun_added_then_removed_on_the_target_reads_as_for_lio(tgt):
    def rescan(target: str) -> dict:
        (o,) = json.loads(tgt.isc("--json", "rescan", target).check().stdout)["rescans"]
        return o

    def gone(dev: str) -> dict:
        (f,) = [f for f in json.loads(tgt.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
                if f["code"] == "ISC023" and f["subject"] == dev]
        return f

    # tgt: LUN 2 added to tgt-multi (target id 3) while logged in, then deleted: no capacity any more
    tgt.isc("login", f"{T}multi", "-p", "127.0.0.3").check()
    tgt.run("truncate -s 32M /var/lib/isc-lab/tgt-later.img && tgtadm --lld iscsi --op new --mode logicalunit "
            "--tid 3 --lun 2 --backing-store /var/lib/isc-lab/tgt-later.img").check()
    added = rescan(f"{T}multi")
    assert added["detail"] == "1 new LUN(s): 2" and len(added["devices"]) == 2  # a login waits for no controller
    tgt.run("tgtadm --lld iscsi --op delete --mode logicalunit --tid 3 --lun 2").check()
    after = rescan(f"{T}multi")
    assert "LUN 2 is gone (no capacity: removed on the target)" in after["detail"], after
    dev = added["devices"][1]  # the devices of LUN 1 and LUN 2, in LUN order
    f = gone(dev)
    assert f["level"] == "failure" and f"/sys/block/{dev.removeprefix('/dev/')}/device/delete" in f["fix"]

    # LIO: a LUN mapped to nolun while logged in, then unmapped: LIO shows a 32 KiB read-only LUN 0 instead
    lun = "/iscsi/iqn.2003-01.org.isc.lab:nolun/tpg1/luns"
    tgt.isc("discover", "127.0.0.1").check()
    tgt.isc("login", "iqn.2003-01.org.isc.lab:nolun", "--no-wait").check()
    tgt.run("targetcli /backstores/fileio create gone /var/lib/isc-lab/gone.img 64M sparse=true && "
            f"targetcli {lun} create /backstores/fileio/gone").check()
    try:
        (lio_dev,) = rescan("iqn.2003-01.org.isc.lab:nolun")["devices"]
        tgt.run(f"targetcli {lun} delete lun=0").check()
        after = rescan("iqn.2003-01.org.isc.lab:nolun")
        assert "LUN 0 is gone (LIO's 32 KiB read-only placeholder: removed on the target)" in after["detail"]
        assert gone(lio_dev)["level"] == "failure"
    finally:
        tgt.isc("logout", "iqn.2003-01.org.isc.lab:nolun", "--teardown").check()
        tgt.run("targetcli /backstores/fileio delete gone; rm -f /var/lib/isc-lab/gone.img")
    tgt.isc("logout", f"{T}multi", "--teardown").check()
    tgt.run("iscsiadm -m node -o delete -p 127.0.0.1; rm -f /var/lib/isc-lab/tgt-later.img").check()
    assert sessions(tgt) == [] and tgt.run("ls /sys/class/scsi_disk/").stdout == ""


def test_connect_two_portals_reboot_and_disconnect(tgt):
    tgt.run(f"umask 077 && printf '%s\\n' {CHAP_SECRET} > {SECRET_FILE}").check()
    assert "IET" not in tgt.run("multipath -t").check().stdout  # multipath-tools 0.9.4 has no tgt entry
    r = tgt.isc("--json", *CONNECT)
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    summary = doc["summary"]
    (wwid,) = summary["maps"]
    assert sorted(s["portal"] for s in summary["sessions"]) == [P3, P4] and summary["findings"] == []
    assert summary["mount"] == "/srv/tgt"
    dropin = tgt.run("cat /etc/multipath/conf.d/isc.conf").check().stdout
    assert 'vendor "IET"' in dropin and "path_checker tur" in dropin
    cfg = json.loads(tgt.isc("--json", "multipath", "config").check().stdout)["multipath_config"]
    assert cfg["vendors"] == ["IET"] and cfg["builtin_vendors"] == [] and not cfg["changed"]
    checkers = tgt.run("multipathd show paths raw format '%m %c %t'").check().stdout.split("\n")
    assert sorted(ln.split() for ln in checkers if ln.strip()) == [[wwid, "tur", "active"]] * 2
    assert json.loads(tgt.isc("--json", "doctor", "--no-mtu").stdout)["ok"]
    again = json.loads(tgt.isc("--json", *CONNECT).check().stdout)
    assert not again["changed"]
    tgt.run("echo kept > /srv/tgt/marker && sync").check()

    tgt.reboot()
    tgt.run("timeout 120 sh -c 'until findmnt /srv/tgt >/dev/null; do sleep 1; done'").check()
    assert tgt.run("cat /srv/tgt/marker").check().stdout.strip() == "kept"
    assert tgt.run("multipath -ll").stdout.count("active ready running") == 2
    assert json.loads(tgt.isc("--json", "doctor", "--no-mtu").stdout)["ok"]

    # the same setup as a document: dump, forget the target, apply the dump, the same dump comes back
    tgt.isc("config", "dump", "-o", "/root/tgt.toml").check()
    before = tgt.run("cat /root/tgt.toml").check().stdout
    assert "/srv/tgt" in before and CHAP_SECRET not in before
    tgt.run(f"umask 077 && printf '[\"%s\"]\\npassword = \"%s\"\\n' {T}chap {CHAP_SECRET} > /root/tgt-secrets.toml"
            ).check()
    tgt.isc("disconnect", f"{T}chap", "--forget").check()
    r = tgt.isc("--json", "apply", "/root/tgt.toml", "--secrets", "/root/tgt-secrets.toml")
    assert r.rc == 0, r.stdout + r.stderr
    assert tgt.run("cat /srv/tgt/marker").check().stdout.strip() == "kept"
    assert tgt.isc("config", "dump").check().stdout == before

    r = tgt.isc("--json", "disconnect", f"{T}chap")
    assert r.rc == 0, r.stdout + r.stderr
    left = state(tgt, ("/srv/tgt",))
    assert left["sessions"] == "" and left["disks"] == "" and left["mounts"] == ""
    assert "/srv/tgt" not in left["fstab"]
    assert tgt.run("dmsetup ls --target multipath").stdout.strip() in ("", "No devices found")
