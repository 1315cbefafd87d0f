"""persist -> reboot -> the session is back and the filesystem mounted; unpersist; safe logout and teardown."""

from __future__ import annotations

import json
import re

import pytest
from labtargets import CHAP, CHAP_SECRET, CHAP_USER, MULTI

pytestmark = pytest.mark.lab


def iscsi_disks(guest) -> list[str]:
    out = guest.run("lsblk -S -n -o NAME,TRAN").check().stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.split()[1:] == ["iscsi"]]


@pytest.fixture(scope="module")
def fstab_before(guest) -> str:
    return guest.run("cat /etc/fstab").check().stdout


def test_persist_mkfs_mount_and_boot_config(guest, fstab_before):
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    guest.isc("login", CHAP).check()
    no_fs = guest.isc("persist", CHAP, "/srv/data")
    assert no_fs.rc == 2 and "has no filesystem" in no_fs.stderr and "--mkfs" in no_fs.stderr

    # the dry run says every step (the commands on stderr, the changes on stdout) and changes nothing
    dry = guest.isc("persist", CHAP, "/srv/data", "--mkfs", "--dry-run")
    assert dry.rc == 0, dry.stdout + dry.stderr
    (disk,) = iscsi_disks(guest)
    # the UUID isc chooses (and records first) so that a rerun after a kill knows the filesystem it made
    assert re.search(rf"would run: mkfs.xfs -q -m uuid=[0-9a-f-]{{36}} /dev/{disk}\n", dry.stderr), dry.stderr
    for step in ("would run: iscsiadm -m node", "-v automatic",
                 "would run: systemctl daemon-reload", "would run: mount /srv/data"):
        assert step in dry.stderr, step
    for step in ("would create xfs on", "fstab: would add  UUID=<new filesystem UUID> /srv/data xfs _netdev,nofail",
                 "would create mount point /srv/data", "would log in at boot on 127.0.0.1:3260",
                 "would mount /srv/data"):
        assert step in dry.stdout, step
    assert guest.run("cat /etc/fstab").stdout == fstab_before
    assert guest.run(f"blkid -p /dev/{disk}").rc == 2  # no filesystem was made
    assert guest.run("test -e /srv/data").rc == 1
    assert "node.startup = manual" in guest.run(f"iscsiadm -m node -T {CHAP} -p 127.0.0.1").stdout

    r = guest.isc("--json", "persist", CHAP, "/srv/data", "--mkfs")
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)["persist"]
    assert doc["formatted"] and doc["fstype"] == "xfs" and doc["mounted"] and doc["verify_ok"]
    uuid = guest.run(f"blkid -s UUID -o value {doc['device']}").check().stdout.strip()
    fstab = guest.run("cat /etc/fstab").check().stdout
    assert fstab.startswith(fstab_before)
    assert fstab[len(fstab_before):] == f"# isc: {CHAP} lun 0\nUUID={uuid} /srv/data xfs _netdev,nofail 0 0\n"
    assert guest.run("findmnt -n -o SOURCE,FSTYPE /srv/data").check().stdout.split() == [doc["device"], "xfs"]
    rec = guest.run(f"iscsiadm -m node -T {CHAP} -p 127.0.0.1").check().stdout
    assert "node.startup = automatic" in rec and "node.conn[0].startup = automatic" in rec
    assert guest.run("systemctl is-enabled open-iscsi.service").stdout.strip() == "enabled"

    again = guest.isc("--json", "persist", CHAP, "/srv/data")  # idempotent: no mkfs, no second line
    assert again.rc == 0, again.stderr
    assert not json.loads(again.stdout)["persist"]["fstab_changed"]
    assert guest.run("cat /etc/fstab").stdout == fstab
    # --mkfs again: isc made this filesystem for /srv/data (a rerun after a kill must converge), so it is kept;
    # for any other mount point it is data isc does not format
    same = guest.isc("--json", "persist", CHAP, "/srv/data", "--mkfs")
    assert same.rc == 0, same.stderr
    assert not json.loads(same.stdout)["persist"]["formatted"] and guest.run("cat /etc/fstab").stdout == fstab
    refuse = guest.isc("persist", CHAP, "/srv/other", "--mkfs")
    assert refuse.rc == 7 and "already holds a xfs filesystem" in refuse.stderr

    # without remote-fs.target no _netdev mount happens at boot: doctor says so, and its fix is the cure
    guest.run("systemctl disable --quiet remote-fs.target").check()
    bad = guest.isc("--json", "doctor", "--no-mtu")
    assert bad.rc == 1
    (unit,) = [f for f in json.loads(bad.stdout)["findings"] if f["code"] == "ISC045"]
    assert unit["level"] == "failure" and "/srv/data" in unit["summary"]
    guest.run(unit["fix"]).check()
    assert guest.run("systemctl is-enabled remote-fs.target").stdout.strip() == "enabled"
    assert guest.isc("doctor", "--no-mtu").rc == 0
    guest.run("echo isc-was-here > /srv/data/proof && sync").check()


def test_reboot_brings_the_session_and_the_mount_back(guest):
    guest.reboot()
    guest.run("timeout 60 sh -c 'until findmnt /srv/data >/dev/null; do sleep 0.5; done'").check()
    assert guest.run("cat /srv/data/proof").check().stdout == "isc-was-here\n"
    sessions = json.loads(guest.isc("--json", "sessions").check().stdout)["sessions"]
    assert [s["target"] for s in sessions] == [CHAP]
    tree = json.loads(guest.isc("--json", "status").check().stdout)
    (lun,) = tree["targets"][0]["sessions"][0]["luns"]
    assert lun["device"]["mountpoints"] == ["/srv/data"]


def test_logout_of_a_mounted_lun_is_refused(guest):
    r = guest.isc("logout", CHAP)
    assert r.rc == 7
    assert "mounted on /srv/data" in r.stderr and "--teardown" in r.stderr
    assert guest.run("findmnt /srv/data").rc == 0
    t = guest.isc("logout", CHAP, "--teardown")
    assert t.rc == 7 and "--unmount" in t.stderr


def test_unpersist_restores_fstab_and_keeps_the_data(guest, fstab_before):
    r = guest.isc("unpersist", "/srv/data")
    assert r.rc == 0, r.stderr
    assert guest.run("cat /etc/fstab").stdout == fstab_before
    assert guest.run("findmnt /srv/data").rc == 1
    rec = guest.run(f"iscsiadm -m node -T {CHAP} -p 127.0.0.1").check().stdout
    assert "node.startup = manual" in rec
    guest.run("mkdir -p /srv/manual").check()
    guest.run("mount /dev/disk/by-path/ip-127.0.0.1:3260-iscsi-" + CHAP + "-lun-0 /srv/manual").check()
    assert guest.run("cat /srv/manual/proof").stdout == "isc-was-here\n"


def test_teardown_unmounts_flushes_deletes_and_logs_out(guest):
    assert guest.run("findmnt /srv/manual").rc == 0
    disks = iscsi_disks(guest)
    dry = guest.isc("logout", CHAP, "--teardown", "--unmount", "-n")
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert "would run: umount /srv/manual" in dry.stderr and "--logout" in dry.stderr, dry.stderr
    assert guest.run("findmnt /srv/manual").rc == 0 and iscsi_disks(guest) == disks  # nothing was done
    r = guest.isc("logout", CHAP, "--teardown", "--unmount")
    assert r.rc == 0, r.stdout + r.stderr
    assert "unmounted /srv/manual" in r.stderr and "flushed /dev/sd" in r.stderr
    assert guest.run("findmnt /srv/manual").rc == 1
    assert iscsi_disks(guest) == []
    assert guest.run("ls /sys/class/iscsi_session/").stdout.strip() == ""


def test_persist_refuses_one_path_of_a_two_portal_target(guest):
    guest.isc("login", MULTI, "-p", "127.0.0.1").check()
    r = guest.isc("persist", MULTI, "/srv/multi", "--mkfs")
    assert r.rc == 7 and "not under multipath" in r.stderr and "--single-path" in r.stderr
    assert "/srv/multi" not in guest.run("cat /etc/fstab").stdout
    guest.isc("logout", MULTI).check()
