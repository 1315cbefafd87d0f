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
