"""isc doctor on purpose-made mistakes in a real guest: fstab, boot login, MTU, paths through one NIC."""

from __future__ import annotations

import json
import re

import pytest
from labtargets import CHAP, CHAP_SECRET, CHAP_USER, MULTI

pytestmark = pytest.mark.lab


def findings(guest, *args: str) -> tuple[int, list[dict]]:
    r = guest.isc("--json", "doctor", *args)
    return r.rc, json.loads(r.stdout)["findings"]


def levels(found: list[dict], code: str) -> list[str]:
    return [f["level"] for f in found if f["code"] == code]


def test_fstab_and_startup_mistakes_are_reported_with_the_fix(guest):
    guest.isc("discover", "127.0.0.1").check()
    guest.isc("chap", CHAP, "--user", CHAP_USER, env={"ISC_CHAP_PASSWORD": CHAP_SECRET}).check()
    r = guest.isc("--json", "login", CHAP)
    (dev,) = json.loads(r.stdout)["logins"][0]["devices"]
    guest.run(f"mkfs.xfs -q -f {dev} && mkdir -p /srv/d && udevadm settle").check()

    # mounted by hand, in no fstab line: gone after a reboot; doctor's fix, run as written, makes it persistent
    guest.run(f"mount {dev} /srv/d").check()
    rc, found = findings(guest, "--no-mtu")
    (hand,) = [f for f in found if f["code"] == "ISC044"]
    assert hand["level"] == "warning" and hand["subject"] == "/srv/d" and dev in hand["summary"]
    assert hand["fix"] == f"isc persist {CHAP}/0 /srv/d"
    guest.run(hand["fix"]).check()
    assert "/srv/d xfs _netdev,nofail" in guest.run("cat /etc/fstab").stdout
    assert not [f for f in findings(guest, "--no-mtu")[1] if f["code"] == "ISC044"]
    guest.isc("unpersist", "/srv/d").check()  # back to an unmounted LUN and a manual boot login

    guest.run(f"echo '{dev} /srv/d xfs defaults 0 0' >> /etc/fstab && mount /srv/d").check()

    rc, found = findings(guest, "--no-mtu")
    assert rc == 1
    by_code = {f["code"]: f for f in found if f["level"] == "failure"}
    assert "without _netdev" in by_code["ISC040"]["summary"] and "_netdev,nofail" in by_code["ISC040"]["fix"]
    uuid = guest.run(f"blkid -s UUID -o value {dev}").check().stdout.strip()
    assert dev in by_code["ISC041"]["summary"] and f"UUID={uuid}" in by_code["ISC041"]["fix"]
    assert by_code["ISC042"]["fix"] == f"isc startup {CHAP} automatic"

    guest.run(f"sed -i 's|^{dev} /srv/d xfs defaults 0 0$|UUID={uuid} /srv/d xfs _netdev,nofail 0 0|' /etc/fstab"
              ).check()
    guest.isc("startup", CHAP, "automatic").check()
    rc, found = findings(guest, "--no-mtu")
    assert [f for f in found if f["level"] == "failure"] == [], found
    assert rc == 0
    assert levels(found, "ISC002") == ["ok", "ok"]  # open-iscsi.service and iscsid.socket enabled

    # the boot login would come up without the disk: no LUN scan on this record
    set_scan = f"iscsiadm -m node -T {CHAP} -p 127.0.0.1 -o update -n node.session.scan -v"
    guest.run(f"{set_scan} manual").check()
    rc, found = findings(guest, "--no-mtu")
    (x,) = [f for f in found if f["level"] == "failure"]
    assert rc == 1 and x["code"] == "ISC043" and x["subject"] == "/srv/d"
    assert x["fix"] == f"isc nodes set {CHAP} -p 127.0.0.1:3260 node.session.scan=auto"
    fixed = guest.run(x["fix"]).check()  # the fix as doctor wrote it, run as the admin would
    assert "keep the old values until the next login" in fixed.stderr  # the CHAP session is up
    assert "node.session.scan = auto" in guest.run(f"iscsiadm -m node -T {CHAP} -p 127.0.0.1 -o show").stdout
    assert findings(guest, "--no-mtu")[0] == 0


def test_mtu_mismatch_on_the_way_to_a_portal(guest):
    # a portal behind a link whose far end has a smaller MTU than ours: jumbo frames not end to end
    guest.run("ip netns add far && ip link add veth0 mtu 9000 type veth peer name veth1 mtu 1500 && "
              "ip link set veth1 netns far && ip addr add 10.9.0.1/24 dev veth0 && ip link set veth0 up && "
              "ip -n far addr add 10.9.0.2/24 dev veth1 && ip -n far link set veth1 up && "
              "ip -n far link set lo up").check()
    guest.isc("nodes", "add", "iqn.2003-01.org.isc.lab:far", "10.9.0.2").check()
    guest.isc("startup", "iqn.2003-01.org.isc.lab:far", "automatic").check()
    rc, found = findings(guest)
    assert rc == 1
    (bad,) = [f for f in found if f["code"] == "ISC010" and f["level"] == "failure"]
    assert bad["subject"] == "10.9.0.2"
    assert "veth0 has MTU 9000" in bad["summary"]
    # the far end takes 1500-byte frames (veth tolerates a few bytes more: the probe reports what passed)
    largest = int(re.search(r"packets up to (\d+) bytes", bad["summary"]).group(1))
    assert 1500 <= largest <= 1504
    assert "ping -4 -M do -s 8972 10.9.0.2" in bad["fix"]

    guest.run("ip link set veth0 mtu 1500").check()
    rc, found = findings(guest)
    mtu = [f for f in found if f["code"] == "ISC010" and f["subject"] == "10.9.0.2"]
    assert [f["level"] for f in mtu] == ["ok"]
    guest.isc("nodes", "delete", "iqn.2003-01.org.isc.lab:far").check()


def test_all_paths_of_a_map_through_one_nic(guest):
    """Two portals, one map, but both sessions bound (iface) to the same NIC: one cable takes every path
    down. The lab's usual portals are on lo, which doctor leaves alone; here they live on a dummy NIC."""
    guest.run("ip link add nic9 type dummy && ip addr add 10.99.0.1/24 dev nic9 && "
              "ip addr add 10.99.0.2/24 dev nic9 && ip link set nic9 up").check()
    guest.run(f"printf '/iscsi/{MULTI}/tpg1/portals create 10.99.0.1 3260\\n"
              f"/iscsi/{MULTI}/tpg1/portals create 10.99.0.2 3260\\n' | targetcli").check()
    guest.isc("iface", "add", "iface-nic9", "--netdev", "nic9").check()
    try:
        guest.isc("discover", "10.99.0.1", "-I", "iface-nic9").check()
        for portal in ("10.99.0.1", "10.99.0.2"):
            guest.isc("login", MULTI, "-p", portal).check()
        guest.isc("multipath", "config", "--write").check()
        sessions = json.loads(guest.isc("--json", "sessions").stdout)["sessions"]
        assert {(s["portal"], s["iface"]) for s in sessions if s["target"] == MULTI} == {
            ("10.99.0.1:3260", "iface-nic9"), ("10.99.0.2:3260", "iface-nic9")}
        _, found = findings(guest, "--no-mtu")
        (nic,) = [f for f in found if f["code"] == "ISC024"]
        assert nic["level"] == "warning", nic
        assert "all 2 paths (10.99.0.1:3260, 10.99.0.2:3260) leave through nic9" in nic["summary"]
        assert "isc iface add iface-NIC --netdev NIC" in nic["fix"]
        # network portals without CHAP (lo is exempt; these are not)
        open_ = sorted(f["subject"] for f in found if f["code"] == "ISC050" and f["level"] == "warning")
        assert open_ == sorted(str(s["sid"]) for s in sessions if s["target"] == MULTI)
        # the local end of each path is an address of nic9, as the kernel reports it
        assert {s["local_address"] for s in sessions if s["target"] == MULTI} <= {"10.99.0.1", "10.99.0.2"}
    finally:
        guest.isc("logout", MULTI, "--teardown")
