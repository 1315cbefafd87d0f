"""iSCSI boot firmware (iBFT) for real: a lab guest booted through iPXE with `sanhook` to a tgt LUN on the
host (tests/lab/ibft.py), so its firmware publishes an iBFT table naming that target and the firmware's
initiator name, which differs from the guest's initiatorname.iscsi. The guest's image configures no network:
`isc login --firmware` brings the NIC up the way the table says, logs in, and waits for the disk."""

from __future__ import annotations

import json
from collections.abc import Iterator

import ibft
import pytest
import vm
from labtargets import INITIATOR

pytestmark = pytest.mark.lab

PORTAL = f"{ibft.HOST}:{ibft.PORT}"


@pytest.fixture(scope="module")
def fw(lab_image, lab_share) -> Iterator[vm.Guest]:
    with ibft.firmware_guest(lab_image, lab_share) as g:
        yield g


def findings(guest, code: str) -> list[dict]:
    return [f for f in json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"] if f["code"] == code]


def test_isc_reads_the_firmwares_table(fw):
    assert fw.run("test -d /sys/firmware/ibft").rc == 1  # Debian does not load iscsi_ibft: isc does
    r = fw.isc("--json", "discover", "--firmware")
    assert r.rc == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["targets"] == [{"target": ibft.TARGET, "portal": PORTAL, "tpgt": 1}]
    assert doc["initiator"] == ibft.FIRMWARE_INITIATOR
    text = fw.isc("discover", "--firmware").check().stdout
    assert ibft.TARGET in text and f"the firmware logs in as {ibft.FIRMWARE_INITIATOR}" in text

    init = json.loads(fw.isc("--json", "initiator").check().stdout)["initiator"]
    assert (init["name"], init["firmware"]) == (INITIATOR, ibft.FIRMWARE_INITIATOR)
    assert f"firmware (iBFT): {ibft.FIRMWARE_INITIATOR} (differs" in fw.isc("initiator").check().stdout
    (differs,) = findings(fw, "ISC005")
    assert differs["level"] == "warning" and differs["fix"].startswith(f"isc initiator set {ibft.FIRMWARE_INITIATOR}")


def test_login_firmware_brings_the_nic_up_and_waits_for_the_disk(fw):
    assert "inet " not in fw.run("ip -o addr show dev eth0").check().stdout  # the image configures no network
    r = fw.isc("--json", "login", "--firmware")
    assert r.rc == 0, r.stdout + r.stderr
    (o,) = json.loads(r.stdout)["logins"]
    assert (o["target"], o["portal"], o["status"]) == (ibft.TARGET, PORTAL, "done")
    (dev,) = o["devices"]  # waited for, like any login: the disk is there when the command returns
    assert fw.run(f"test -b {dev}").rc == 0
    assert any("eth0 (52:54:00:12:34:56) brought up with 10.0.2.15/24" in s for s in o["steps"]), o["steps"]
    assert "inet 10.0.2.15/24" in fw.run("ip -o addr show dev eth0").check().stdout
    again = json.loads(fw.isc("--json", "login", "--firmware").check().stdout)["logins"]
    assert [x["status"] for x in again] == ["already"]

    (target,) = json.loads(fw.isc("--json", "status").check().stdout)["targets"]
    (s,) = target["sessions"]
    assert s["firmware"] and [lun["device"]["path"] for lun in s["luns"] if lun["device"]] == [dev]
    assert "firmware (iBFT)" in fw.isc("status").check().stdout
    # the session logged in with the firmware's name, as it should: not a stale name (ISC004)
    assert findings(fw, "ISC004") == [] and findings(fw, "ISC006") == []


def test_a_boot_unsafe_setting_on_the_firmwares_record_is_reported(fw):
    fw.isc("startup", ibft.TARGET, "manual").check()
    (unsafe,) = findings(fw, "ISC006")
    assert unsafe["level"] == "warning" and "node.startup manual, not onboot" in unsafe["summary"]
    assert unsafe["fix"] == f"isc startup {ibft.TARGET} onboot"
    fw.run(unsafe["fix"]).check()
    assert findings(fw, "ISC006") == []


def test_logout_of_the_firmwares_session_is_refused_unless_forced(fw):
    for extra in ((), ("--teardown",)):
        r = fw.isc("logout", ibft.TARGET, *extra)
        assert r.rc == 7 and "the boot firmware (iBFT) logged in to this target" in r.stderr, r.stderr
        assert "--force" in r.stderr
    all_of_them = fw.isc("--json", "logout", "--all")
    assert all_of_them.rc == 7 and json.loads(all_of_them.stdout)["error"]["kind"] == "in_use"
    assert fw.run("iscsiadm -m session").check().stdout.count(ibft.TARGET) == 1
    forced = fw.isc("logout", ibft.TARGET, "--teardown", "--force")
    assert forced.rc == 0, forced.stdout + forced.stderr
    assert fw.run("iscsiadm -m session").rc == 21
