"""Sessions to block devices: isc status against what the kernel and udev report."""

from __future__ import annotations

import json

import pytest
from labtargets import MULTI

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
    tree = guest.isc("status").check().stdout
    assert f"/dev/{disk['name']}" in tree and "768M" in tree
    guest.isc("logout", MULTI).check()
