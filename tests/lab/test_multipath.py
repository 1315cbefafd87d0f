"""Two portals -> isc multipath config --write -> one map with two active paths; a path fails and recovers."""

from __future__ import annotations

import json
import re

import pytest
from labtargets import MULTI

pytestmark = pytest.mark.lab


def maps(guest) -> list[str]:
    return [ln.split()[0] for ln in guest.run("multipath -ll").stdout.splitlines() if " dm-" in ln]


def test_two_paths_become_one_map(guest):
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("login", MULTI).check()
    guest.run("udevadm settle").check()
    assert maps(guest) == []  # Debian's find_multipaths strict: two paths, no map yet

    dry = guest.isc("--json", "multipath", "config")
    assert dry.rc == 0, dry.stderr
    cfg = json.loads(dry.stdout)["multipath_config"]
    assert cfg["path"] == "/etc/multipath/conf.d/isc.conf" and not cfg["written"]
    assert cfg["builtin_vendors"] == ["LIO-ORG"]  # multipath-tools 0.9.4 knows LIO already
    (lun,) = cfg["luns"]
    assert not lun["registered"]
    assert guest.run("test -e /etc/multipath/conf.d/isc.conf").rc == 1

    r = guest.isc("multipath", "config", "--write")
    assert r.rc == 0, r.stdout + r.stderr
    assert maps(guest) == [lun["wwid"]]
    ll = guest.run("multipath -ll").check().stdout
    assert len(re.findall(r"active ready running", ll)) == 2

    st = json.loads(guest.isc("--json", "multipath", "status").check().stdout)
    (m,) = st["maps"]
    assert m["wwid"] == lun["wwid"] and m["vendor"] == "LIO-ORG"
    paths = sorted(p["dev"] for g in m["path_groups"] for p in g["paths"])
    assert paths == sorted(re.findall(r"\d+:\d+:\d+:\d+ (sd[a-z]+) ", ll))
    assert all(p["healthy"] for g in m["path_groups"] for p in g["paths"])
    again = json.loads(guest.isc("--json", "multipath", "config").stdout)["multipath_config"]
    assert not again["changed"] and again["luns"][0]["registered"]  # converged

    # an override that queues forever once every path is gone: doctor names the map and the setting
    guest.run("printf 'overrides {\\n\\tno_path_retry queue\\n}\\n' > /etc/multipath/conf.d/zz-queue.conf && "
              "multipathd reconfigure && timeout 30 sh -c 'until multipathd show maps format %Q | grep -qw on; "
              "do sleep 1; done'").check()
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    (q,) = [f for f in found if f["code"] == "ISC026"]
    assert q["level"] == "warning" and q["subject"] == lun["wwid"] and "no_path_retry" in q["fix"]
    guest.run("rm /etc/multipath/conf.d/zz-queue.conf && multipathd reconfigure && "
              "timeout 30 sh -c 'until multipathd show maps format %Q | grep -q chk; do sleep 1; done'").check()
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    assert not [f for f in found if f["code"] == "ISC026"]

    # an fstab line through the map while multipathd is not enabled at boot: no map, no device after a reboot
    line = f"/dev/disk/by-id/dm-uuid-mpath-{lun['wwid']} /srv/m xfs _netdev,nofail 0 0"
    guest.run(f"cp /etc/fstab /root/fstab.keep && echo '{line}' >> /etc/fstab && "
              "systemctl disable --quiet multipathd.service").check()
    try:
        found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
        (boot,) = [f for f in found if f["code"] == "ISC046"]
        assert boot["level"] == "failure" and "/srv/m" in boot["summary"]
        assert boot["fix"] == "systemctl enable multipathd.service"
        guest.run(boot["fix"]).check()
        found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
        assert not [f for f in found if f["code"] == "ISC046"]
    finally:
        guest.run("systemctl enable --quiet multipathd.service; cp /root/fstab.keep /etc/fstab").check()


def test_failed_path_keeps_io_and_shows_in_status(guest):
    (wwid,) = maps(guest)
    # cut the 127.0.0.2 path: remove the portal on the target and kill the established connection
    guest.run(f"targetcli /iscsi/{MULTI}/tpg1/portals delete 127.0.0.2 3260").check()
    guest.run("ss -K dst 127.0.0.2 dport = 3260").check()
    guest.run("timeout 60 sh -c 'until multipath -ll | grep -q failed; do sleep 1; done'").check()
    io = guest.run(f"dd if=/dev/mapper/{wwid} of=/dev/null bs=1M count=8 iflag=direct", timeout=60)
    assert io.rc == 0, io.stderr
    r = guest.isc("--json", "multipath", "status")
    assert r.rc == 0
    states = sorted((p["dm_state"], p["healthy"]) for m in json.loads(r.stdout)["maps"]
                    for g in m["path_groups"] for p in g["paths"])
    assert states == [("active", True), ("failed", False)]
    assert guest.isc("multipath", "status").rc == 1  # a failed path is a non-zero status
    doc = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)
    failed = [f for f in doc["findings"] if f["code"] == "ISC022" and f["level"] == "failure"]
    assert len(failed) == 1 and "failed" in failed[0]["summary"]
    # the session behind the failed path, as the kernel reports it
    down = [f for f in doc["findings"] if f["code"] == "ISC023" and f["level"] == "failure"]
    assert any("127.0.0.2:3260" in f["summary"] and "I/O moves to the other paths" in f["summary"] for f in down)

    guest.run(f"targetcli /iscsi/{MULTI}/tpg1/portals create 127.0.0.2 3260").check()
    guest.run("timeout 90 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = 2 ]; do sleep 1; done'"
              ).check()
    assert guest.isc("multipath", "status").rc == 0
    doc = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)
    assert not [f for f in doc["findings"] if f["code"] in ("ISC022", "ISC023") and f["level"] != "ok"]


def test_grown_lun_rescan_resizes_the_map_and_names_the_filesystem_step(guest):
    """The LUN grows on the target (LIO block backstore on a loop device): isc rescan re-reads every path's
    capacity, resizes the multipath map once all paths agree, and says how to grow the filesystem."""
    from labtargets import NOLUN

    img, luns = "/var/lib/isc-lab/grow.img", f"/iscsi/{NOLUN}/tpg1/luns"
    loop = guest.run(f"truncate -s 64M {img} && losetup -f --show {img}").check().stdout.strip()
    guest.run(f"targetcli /backstores/block create grow {loop} && targetcli {luns} create /backstores/block/grow"
              f" && targetcli /iscsi/{NOLUN}/tpg1/portals create 127.0.0.2 3260").check()
    try:
        guest.isc("discover", "127.0.0.1").check()
        guest.isc("login", NOLUN).check()
        one = guest.isc("--json", "rescan", NOLUN, "-p", "127.0.0.2")  # not grown yet: nothing to say
        assert json.loads(one.check().stdout)["rescans"][0]["detail"] == "no new LUN (1 present)"
        (t,) = [x for x in json.loads(guest.isc("--json", "status").check().stdout)["targets"]
                if x["target"] == NOLUN]
        (wwid,) = {lun["device"]["wwid"] for s in t["sessions"] for lun in s["luns"]}
        guest.isc("multipath", "config", "--write").check()
        guest.run(f"timeout 60 sh -c 'until [ -e /dev/mapper/{wwid} ]; do sleep 1; done'").check()
        guest.run(f"mkfs.ext4 -q /dev/mapper/{wwid} && mkdir -p /mnt/grow && mount /dev/mapper/{wwid} /mnt/grow"
                  ).check()
        dm = guest.run(f"basename $(readlink -f /dev/mapper/{wwid})").check().stdout.strip()

        guest.run(f"truncate -s 128M {img} && losetup -c {loop}").check()
        # one portal only: that path grows, the map cannot follow yet, and isc says why
        r = guest.isc("--json", "rescan", NOLUN, "-p", "127.0.0.1")
        (o,) = json.loads(r.check().stdout)["rescans"]
        assert "LUN 0 64M -> 128M" in o["detail"]
        assert any("not resized" in s and "still has the old size" in s for s in o["steps"]), o
        assert guest.run(f"blockdev --getsize64 /dev/mapper/{wwid}").stdout.strip() == str(64 << 20)

        r = guest.isc("rescan", NOLUN)
        assert r.rc == 0, r.stderr
        assert f"resized multipath map {wwid}" in r.stderr
        assert f"grow the filesystem: resize2fs /dev/{dm}" in r.stderr
        # what the kernel says now: both paths and the map at the new size
        sizes = guest.run(f"for d in $(ls /sys/block/{dm}/slaves) {dm}; do blockdev --getsize64 /dev/$d; done"
                          ).check().stdout.split()
        assert sizes == [str(128 << 20)] * 3
        guest.run("resize2fs -f /dev/" + dm).check()
        assert json.loads(guest.isc("--json", "rescan", NOLUN).check().stdout)["rescans"][0]["steps"] == []
    finally:
        guest.run("umount /mnt/grow")
        guest.isc("logout", NOLUN, "--teardown")
        guest.run(f"targetcli /iscsi/{NOLUN}/tpg1/portals delete 127.0.0.2 3260; targetcli {luns} delete lun=0; "
                  f"targetcli /backstores/block delete grow; losetup -d {loop}; rm -f {img}; "
                  f"iscsiadm -m node -T {NOLUN} -p 127.0.0.2 -o delete")


def _left(guest) -> dict[str, str]:
    """What a teardown must not leave behind: sessions, multipath maps, SCSI disks."""
    return {"sessions": guest.run("iscsiadm -m session 2>/dev/null").stdout.strip(),
            "maps": guest.run("dmsetup ls --target multipath").stdout.replace("No devices found", "").strip(),
            "disks": guest.run("ls /sys/class/scsi_disk/").stdout.strip()}


def _map_up(guest, paths: int = 2) -> str:
    guest.isc("login", MULTI).check()
    guest.run("timeout 60 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = "
              f"{paths} ]; do sleep 1; done'").check()
    (wwid,) = maps(guest)
    return wwid


def test_teardown_of_a_multipathed_lun_with_multipathd_holding_its_paths(guest):
    """multipathd keeps its paths open; teardown flushes the map instead of refusing (was exit 7: "/dev/sda
    open by multipathd[240]"), yet a process with the map open still stops it."""
    guest.run("timeout 60 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = 2 ]; "
              "do sleep 1; done'").check()
    held = guest.run("ls -l /proc/$(pidof multipathd)/fd").check().stdout
    assert len(re.findall(r"-> /dev/sd[a-z]+$", held, re.M)) == 2  # the defect's cause: both paths open
    # 1. the map, not mounted
    r = guest.isc("logout", MULTI, "--teardown")
    assert r.rc == 0, r.stdout + r.stderr
    assert "flushed multipath map" in r.stderr
    assert _left(guest) == {"sessions": "", "maps": "", "disks": ""}

    # 2. a real user of the map is still refused, by name
    wwid = _map_up(guest)
    guest.run(f"nohup sh -c 'exec 3</dev/mapper/{wwid}; exec sleep 300' >/dev/null 2>&1 &").check()
    try:
        r = guest.isc("logout", MULTI, "--teardown")
        assert r.rc == 7 and "open by sleep[" in r.stderr and "multipathd" not in r.stderr, r.stderr
        assert len(maps(guest)) == 1
    finally:
        guest.run("pkill -x sleep")

    # 3. mounted through the map: persist, then teardown --unmount
    r = guest.isc("persist", f"{MULTI}/0", "/mnt/x", "--mkfs")
    assert r.rc == 0, r.stdout + r.stderr
    r = guest.isc("logout", MULTI, "--teardown", "--unmount")
    assert r.rc == 0, r.stdout + r.stderr
    assert "unmounted /mnt/x" in r.stderr
    assert _left(guest) == {"sessions": "", "maps": "", "disks": ""}
    assert guest.run("findmnt /mnt/x").rc == 1
    guest.isc("login", MULTI).check()
    guest.isc("unpersist", "/mnt/x").check()

    # 4. one path of two leaves, the other stays: the map keeps running on it
    guest.run("timeout 60 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = 2 ]; "
              "do sleep 1; done'").check()
    r = guest.isc("logout", MULTI, "-p", "127.0.0.2", "--teardown")
    assert r.rc == 0, r.stdout + r.stderr
    assert "removed path" in r.stderr
    left = _left(guest)
    assert "127.0.0.1:3260" in left["sessions"] and "127.0.0.2" not in left["sessions"]
    assert left["maps"].startswith(wwid) and len(left["disks"].split()) == 1
    ll = guest.run("multipath -ll").check().stdout
    assert len(re.findall(r"active ready running", ll)) == 1 and "failed" not in ll
    io = guest.run(f"dd if=/dev/mapper/{wwid} of=/dev/null bs=1M count=4 iflag=direct", timeout=60)
    assert io.rc == 0, io.stderr
    guest.isc("logout", MULTI, "--teardown").check()
    assert _left(guest) == {"sessions": "", "maps": "", "disks": ""}


def test_order_does_not_matter_config_write_before_the_first_login(guest):
    """A new user's order: the drop-in first (no LUN yet: nothing to register, and isc says so), then the
    login of the two-portal target; the login registers the WWID, so the map forms without a second
    config --write."""
    assert _left(guest)["sessions"] == ""
    guest.run("multipath -W >/dev/null; rm -f /etc/multipath/conf.d/isc.conf; : > /etc/multipath/wwids; "
              "multipathd reconfigure").check()
    r = guest.isc("multipath", "config", "--write")
    assert r.rc == 0, r.stdout + r.stderr
    assert "nothing to register" in r.stderr
    assert guest.run("grep -c '^/' /etc/multipath/wwids").stdout.strip() == "0"
    r = guest.isc("--json", "login", MULTI)
    assert r.rc == 0, r.stderr
    steps = {s for o in json.loads(r.stdout)["logins"] for s in o["steps"]}
    (wwid,) = {w for s in steps for w in re.findall(r"WWID (\S+) for multipath", s)}
    guest.run("timeout 60 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = 2 ]; "
              "do sleep 1; done'").check()
    assert maps(guest) == [wwid]
    # a second login changes nothing and registers nothing
    again = json.loads(guest.isc("--json", "login", MULTI).check().stdout)["logins"]
    assert {o["status"] for o in again} == {"already"} and not any(o["steps"] for o in again)
    guest.isc("logout", MULTI, "--teardown").check()
    assert _left(guest) == {"sessions": "", "maps": "", "disks": ""}
