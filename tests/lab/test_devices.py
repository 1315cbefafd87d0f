"""Sessions to block devices: isc status against what the kernel and udev report."""

from __future__ import annotations

import json
import re

import pytest
from labtargets import MULTI, NOLUN

pytestmark = pytest.mark.lab


def test_status_shows_the_kernels_disks(guest):
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("login", MULTI, "-p", "127.0.0.1").check()
    guest.run("udevadm settle").check()
    # what the kernel says, independently of isc
    lsblk = json.loads(guest.run("lsblk -J -b -S -o NAME,TRAN,SIZE,VENDOR,HCTL").check().stdout)
    (disk,) = [d for d in lsblk["blockdevices"] if d["tran"] == "iscsi"]
    wwid = guest.run(f"/lib/udev/scsi_id -g -u -d /dev/{disk['name']}").check().stdout.strip()

    doc = json.loads(guest.isc("--json", "status").check().stdout)
    (target,) = doc["targets"]
    assert target["target"] == MULTI
    (session,) = target["sessions"]
    assert session["portal"] == "127.0.0.1:3260" and session["state"] == "LOGGED_IN"
    (lun,) = session["luns"]
    dev = lun["device"]
    assert lun["lun"] == 0 and lun["hctl"] == disk["hctl"]
    assert dev["name"] == disk["name"] and dev["size_bytes"] == int(disk["size"]) == 768 << 20
    assert dev["wwid"] == wwid and dev["vendor"] == "LIO-ORG"
    assert any(link.startswith("/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-") for link in dev["links"])

    sessions = json.loads(guest.isc("--json", "sessions").stdout)["sessions"]
    assert sessions[0]["devices"] == [f"/dev/{disk['name']}"]
    # the local address and the negotiated parameters, as iscsiadm -P 2 reports them for the same session
    p2 = guest.run(f"iscsiadm -m session -r {sessions[0]['sid']} -P 2").check().stdout
    theirs = dict(re.findall(r"^\s+(\w[\w ]*?): (\S+)$", p2, re.M))
    neg = sessions[0]["negotiated"]
    assert sessions[0]["local_address"] == theirs["Iface IPaddress"] == "127.0.0.1"
    assert [neg["header_digest"], neg["data_digest"]] == [theirs["HeaderDigest"], theirs["DataDigest"]]
    for key, name in [("max_recv_data_segment_length", "MaxRecvDataSegmentLength"),
                      ("max_xmit_data_segment_length", "MaxXmitDataSegmentLength"),
                      ("first_burst_length", "FirstBurstLength"), ("max_burst_length", "MaxBurstLength"),
                      ("max_outstanding_r2t", "MaxOutstandingR2T")]:
        assert neg[key] == int(theirs[name]), key
    assert [neg["immediate_data"], neg["initial_r2t"]] == [theirs["ImmediateData"] == "Yes",
                                                          theirs["InitialR2T"] == "Yes"]
    shown = guest.isc("sessions", "--details").check().stdout
    assert f"MaxRecvDataSegmentLength: {theirs['MaxRecvDataSegmentLength']}" in shown
    tree = guest.isc("status").check().stdout
    assert f"/dev/{disk['name']}" in tree and "768M" in tree
    guest.isc("logout", MULTI).check()


def test_login_returns_once_the_device_exists(guest):
    guest.isc("discover", "127.0.0.1").check()
    r = guest.isc("--json", "login", MULTI)
    assert r.rc == 0, r.stderr
    logins = json.loads(r.stdout)["logins"]
    assert [len(o["devices"]) for o in logins] == [1, 1]
    # no 'udevadm settle' here: the devices and their udev links must already exist
    for o in logins:
        (dev,) = o["devices"]
        check = guest.run(f"test -b {dev} && ls -l /dev/disk/by-path/ | grep -q 'ip-{o['portal']}-iscsi-{MULTI}-lun-0'")
        assert check.rc == 0, f"{dev} or its by-path link missing right after isc login"
    guest.isc("logout", MULTI).check()


def test_a_lun_that_never_appears_is_a_clear_error(guest):
    guest.isc("discover", "127.0.0.1").check()
    r = guest.isc("login", NOLUN, "--wait-timeout", "3")
    assert r.rc == 3
    assert "no LUN appeared within 3 s" in r.stdout + r.stderr
    assert "LOGGED_IN" in guest.run("cat /sys/class/iscsi_session/session*/state").stdout
    guest.isc("logout", NOLUN).check()


def _kernel_sessions(guest) -> set[str]:
    """(portal) of each session as the kernel lists them, independently of isc."""
    out = guest.run("iscsiadm -m session").stdout
    return {line.split()[2].split(",")[0] for line in out.splitlines() if line.startswith("tcp:")}


def test_logout_by_session_id_leaves_the_other_path(guest):
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("login", MULTI).check()
    sessions = json.loads(guest.isc("--json", "sessions").check().stdout)["sessions"]
    (second,) = [s["sid"] for s in sessions if s["portal"] == "127.0.0.2:3260"]
    assert _kernel_sessions(guest) == {"127.0.0.1:3260", "127.0.0.2:3260"}
    guest.isc("logout", "--sid", str(second)).check()
    assert _kernel_sessions(guest) == {"127.0.0.1:3260"}
    again = json.loads(guest.isc("--json", "logout", "--sid", str(second)).check().stdout)["logouts"]
    assert [o["status"] for o in again] == ["already"]
    guest.isc("logout", MULTI).check()
    assert _kernel_sessions(guest) == set()


def test_logout_refuses_a_disk_under_lvm_and_names_the_volume(guest):
    guest.isc("discover", "127.0.0.1").check()
    r = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1")
    (dev,) = json.loads(r.check().stdout)["logins"][0]["devices"]
    guest.run(f"pvcreate -q {dev} && vgcreate -q iscvg {dev} && lvcreate -q -y -L 64M -n data iscvg").check()
    try:
        r = guest.isc("logout", MULTI)
        assert r.rc == 7, r.stderr
        assert f"{dev} held by LVM volume iscvg-data (dm-" in r.stderr
        r = guest.isc("logout", MULTI, "--teardown")
        assert r.rc == 7 and "vgchange -an" in r.stderr
        assert _kernel_sessions(guest) == {"127.0.0.1:3260"}  # nothing was torn down
    finally:
        guest.run(f"vgchange -q -an iscvg; vgremove -q -f iscvg; pvremove -q {dev}; wipefs -q -a {dev}")
    guest.isc("logout", MULTI).check()
    assert _kernel_sessions(guest) == set()


def test_scan_manual_login_then_rescan_finds_the_lun_and_a_lun_added_later(guest):
    guest.isc("discover", "127.0.0.1").check()
    # the admin's choice, made with iscsiadm itself: the kernel must not scan this record's LUNs at login
    guest.run(f"iscsiadm -m node -T {MULTI} -p 127.0.0.1 -o update -n node.session.scan -v manual").check()
    r = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1")
    (o,) = json.loads(r.check().stdout)["logins"]
    assert o["devices"] == [] and "node.session.scan is manual" in o["detail"]
    assert guest.run("ls /sys/class/scsi_disk/").stdout.strip() == ""
    r = guest.isc("--json", "rescan", MULTI)
    (o,) = json.loads(r.check().stdout)["rescans"]
    (dev,) = o["devices"]
    assert o["detail"] == "1 new LUN(s): 0"
    link = f"ip-127.0.0.1:3260-iscsi-{MULTI}-lun-0"
    assert guest.run(f"test -b {dev} && ls /dev/disk/by-path/ | grep -qx '{link}'").rc == 0
    assert json.loads(guest.isc("--json", "rescan", MULTI).check().stdout)["rescans"][0]["detail"] == \
        "no new LUN (1 present)"
    guest.isc("logout", MULTI).check()
    guest.run(f"iscsiadm -m node -T {MULTI} -p 127.0.0.1 -o update -n node.session.scan -v auto").check()

    # a LUN mapped on the target after login appears only with a rescan
    guest.isc("login", NOLUN, "--no-wait").check()
    lun = "/iscsi/iqn.2003-01.org.isc.lab:nolun/tpg1/luns"
    guest.run("targetcli /backstores/fileio create later /var/lib/isc-lab/later.img 64M sparse=true && "
              f"targetcli {lun} create /backstores/fileio/later").check()
    try:
        # --no-wait: the scan finds the LUN at once; its disk may still be on its way, which is no failure
        (o,) = json.loads(guest.isc("--json", "rescan", NOLUN, "--no-wait").check().stdout)["rescans"]
        assert o["status"] == "done" and o["detail"] == "1 new LUN(s): 0"
        (o,) = json.loads(guest.isc("--json", "rescan", NOLUN).check().stdout)["rescans"]
        assert o["detail"] == "no new LUN (1 present)" and len(o["devices"]) == 1
        size = guest.run(f"blockdev --getsize64 {o['devices'][0]}").check().stdout.strip()
        assert size == str(64 << 20)
    finally:
        guest.isc("logout", NOLUN, "--teardown").check()
        guest.run(f"targetcli {lun} delete lun=0; targetcli /backstores/fileio delete later; "
                  "rm -f /var/lib/isc-lab/later.img")
    assert guest.isc("rescan", NOLUN).rc == 3  # no session left to rescan


def test_a_partitioned_lun_mounted_by_partition_is_protected_and_shown(guest):
    guest.isc("discover", "127.0.0.1").check()
    r = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1")
    (dev,) = json.loads(r.check().stdout)["logins"][0]["devices"]
    part = f"{dev}1"
    guest.run(f"echo ',,L' | sfdisk -q {dev} && udevadm settle && mkfs.ext4 -q {part} && mkdir -p /srv/p && "
              f"mount {part} /srv/p").check()
    try:
        (lun,) = json.loads(guest.isc("--json", "status").check().stdout)["targets"][0]["sessions"][0]["luns"]
        (p,) = lun["device"]["partitions"]
        uuid = guest.run(f"blkid -s UUID -o value {part}").check().stdout.strip()
        assert (p["path"], p["fstype"], p["fs_uuid"], p["mountpoints"]) == (part, "ext4", uuid, ["/srv/p"])
        assert f"partition {part}" in guest.isc("status").check().stdout
        r = guest.isc("logout", MULTI)
        assert r.rc == 7 and f"{part} mounted on /srv/p" in r.stderr
        assert _kernel_sessions(guest) == {"127.0.0.1:3260"}
        r = guest.isc("logout", MULTI, "--teardown", "--unmount")
        assert r.rc == 0, r.stdout + r.stderr
        assert "unmounted /srv/p" in r.stderr + r.stdout
        assert guest.run("findmnt /srv/p").rc == 1 and _kernel_sessions(guest) == set()
    finally:
        guest.run("umount /srv/p")
    # leave the LUN as the other tests expect it: no partition table
    again = guest.isc("--json", "login", MULTI, "-p", "127.0.0.1").check()
    (dev,) = json.loads(again.stdout)["logins"][0]["devices"]
    guest.run(f"wipefs -q -a {dev}1; wipefs -q -a {dev}")
    # udev's workers open a disk while they probe it, as after wipefs closed it (CI saw a logout refused for
    # "(udev-worker)[1071]"). A holder named like one lets go after 3 s: the logout waits for it, not refuses.
    # only the renamed shell holds the disk: its children get fd 3 closed (CI once saw the first touch, a
    # child still alive when the logout looked, named as a holder of its own)
    holder = (f"printf '(udev-worker)' > /proc/$$/comm; exec 3<{dev}; touch /tmp/held 3<&-; sleep 3 3<&-; "
              "exec 3<&-; touch /tmp/released\n")
    guest.run("rm -f /tmp/held /tmp/released; cat > /tmp/holder.sh", stdin=holder).check()
    guest.run("setsid sh /tmp/holder.sh >/dev/null 2>&1 &").check()
    guest.run("for i in $(seq 100); do test -e /tmp/held && break; sleep 0.1; done; test -e /tmp/held").check()
    r = guest.isc("logout", MULTI)
    assert r.rc == 0, r.stderr
    assert guest.run("test -e /tmp/released").rc == 0  # it ended only once the holder had let go
