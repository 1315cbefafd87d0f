"""isc tune and isc bench on the two-portal LIO target, with the real initiator, multipathd and fio.

One flow on one guest (each step builds on the one before): the tune view against sysfs, a bench run,
the throughput profile rolled onto the live sessions while fio reads the map (zero errors), a second bench
run and --compare, the write refusals, a bench through the mounted filesystem, nr_sessions 2 (four paths
in one map, then all four torn down), and the multipath and defaults profiles read back from the records.
Absolute figures under TCG mean little: the test checks the flow and that the figures are fio's."""

from __future__ import annotations

import json
import re

import pytest
from labtargets import MULTI

pytestmark = pytest.mark.lab

SMALL = ("--runtime", "1", "--size", "32M")


def rows(guest) -> dict[str, dict]:
    doc = json.loads(guest.isc("--json", "tune", MULTI).check().stdout)["tune"]
    return {r["name"]: r for r in doc["rows"]}


def record(guest, name: str) -> set[str]:
    out = guest.run(f"iscsiadm -m node -T {MULTI} -o show").check().stdout
    return set(re.findall(rf"^{re.escape(name)} = (\S+)$", out, re.M))


def sysfs(guest, pattern: str) -> list[str]:
    return guest.run(f"cat {pattern}").check().stdout.split()


def can_queue(guest) -> list[str]:
    """The SCSI hosts of the iSCSI sessions: their can_queue."""
    return guest.run("for h in /sys/class/iscsi_host/*; do cat /sys/class/scsi_host/${h##*/}/can_queue; done"
                     ).check().stdout.split()


def map_paths(guest) -> list[str]:
    return re.findall(r"\d+:\d+:\d+:\d+ (sd[a-z]+) \S+ +active ready running", guest.run("multipath -ll").stdout)


def test_tune_relogin_under_fio_bench_compare_and_sessions_per_portal(guest):
    # one path, no map: a re-login would take the disk away; refused before the records change
    guest.run(f"isc discover 127.0.0.1 >/dev/null && isc login {MULTI} -p 127.0.0.1 >/dev/null").check()
    single = guest.isc("tune", MULTI, "--set", "queue_depth=16", "--relogin")
    assert single.rc == 2 and "not under a multipath map" in single.stderr and "--disruptive" in single.stderr
    assert record(guest, "node.session.queue_depth") == {"32"}
    # --disruptive: the one path logs out and in again; its disk comes back (under another name, maybe) with the
    # new value live. Then back to the default the same way, for what follows.
    for depth in ("16", "32"):
        forced = guest.isc("--json", "tune", MULTI, "--set", f"queue_depth={depth}", "--relogin", "--disruptive")
        assert forced.rc == 0, forced.stdout + forced.stderr
        steps = {s["step"]: s["status"] for s in json.loads(forced.stdout)["steps"]}
        assert steps == {"settings": "changed", "relogin 127.0.0.1:3260": "changed",
                         "relogin 127.0.0.2:3260": "ok"}, steps  # no session on the second portal
        assert sysfs(guest, "/sys/block/sd*/device/queue_depth") == [depth]
        assert record(guest, "node.session.queue_depth") == {depth}
    guest.run(f"isc login {MULTI} >/dev/null && isc multipath config --write >/dev/null").check()
    (wwid,) = guest.run("multipathd show maps raw format %w").check().stdout.split()
    dev = f"/dev/mapper/{wwid}"

    # the view: record values from the records, live values as sysfs has them
    r = rows(guest)
    assert r["queue_depth"]["record"] == "32" and r["cmds_max"]["record"] == "128"
    assert sysfs(guest, "/sys/block/sd*/device/queue_depth") == ["32", "32"]
    assert r["queue_depth"]["live"] == "32"
    assert can_queue(guest) == ["113", "113"] and r["cmds_max"]["live"] == "128"  # can_queue + 15
    assert r["replacement_timeout"]["record"] == "120" and r["replacement_timeout"]["live"] == "5"  # multipathd's
    assert r["nr_sessions"]["live"] == "1" and r["path_selector"]["live"].startswith("service-time")
    bad = guest.isc("tune", MULTI, "--set", "cmds_max=300")
    assert bad.rc == 2 and "not a power of two" in bad.stderr and "Traceback" not in bad.stderr

    # bench before tuning: every profile on the blank LUN (nothing on it: the write ones may run)
    before = json.loads(guest.isc("--json", "bench", MULTI, *SMALL).check().stdout)["bench"]
    assert [p["profile"] for p in before["profiles"]] == ["seq-read", "seq-write", "rand-read", "rand-write"]
    for p in before["profiles"]:  # bandwidth over IOPS is each profile's block size: both are fio's figures
        bs = 1048576 if p["profile"].startswith("seq") else 4096
        assert p["ios"] > 0 and abs(p["bw_bytes_per_second"] / p["iops"] - bs) < bs * 0.02, p
    assert before["tuning"]["settings"]["queue_depth"] == {"record": "32", "live": "32"}

    # the throughput profile rolled onto both paths while fio reads the map: no I/O error, new values live
    guest.run(f"setsid fio --name=roll --filename={dev} --rw=randread --bs=64k --iodepth=8 --ioengine=libaio "
              "--direct=1 --time_based --runtime=20 --output-format=json --output=/root/roll.json "
              "</dev/null >/dev/null 2>&1 &").check()
    guest.run("timeout 30 sh -c 'until pgrep -x fio >/dev/null; do sleep 0.2; done'").check()
    tuned = guest.isc("--json", "tune", MULTI, "--profile", "throughput", "--relogin", "--wait-timeout", "60")
    assert tuned.rc == 0, tuned.stdout + tuned.stderr
    plan = json.loads(tuned.stdout)
    assert [s["step"] for s in plan["steps"]] == ["settings", "relogin 127.0.0.1:3260", "relogin 127.0.0.2:3260"]
    assert all(s["status"] == "changed" for s in plan["steps"])
    assert guest.run("timeout 60 sh -c 'while pgrep -x fio >/dev/null; do sleep 0.5; done'").rc == 0
    (job,) = json.loads(guest.run("cat /root/roll.json").check().stdout)["jobs"]
    assert job["error"] == 0 and job["read"]["total_ios"] > 0, job
    assert sysfs(guest, "/sys/block/sd*/device/queue_depth") == ["64", "64"]
    assert can_queue(guest) == ["241", "241"]
    assert record(guest, "node.session.queue_depth") == {"64"} and len(map_paths(guest)) == 2
    again = json.loads(guest.isc("--json", "tune", MULTI, "--profile", "throughput", "--relogin").check().stdout)
    assert not again["changed"]  # converged: nothing to write, every path runs the values

    after = json.loads(guest.isc("--json", "bench", MULTI, "-p", "seq-read", "-p", "rand-read", *SMALL)
                       .check().stdout)["bench"]
    cmp = json.loads(guest.isc("--json", "bench", "--compare").check().stdout)["compare"]
    assert cmp["runs"] == [before["id"], after["id"]]
    assert "queue_depth record: 32 -> 64" in cmp["tuning_changes"]
    assert "queue_depth live: 32 -> 64" in cmp["tuning_changes"]
    iops = [row for row in cmp["rows"] if row["profile"] == "rand-read" and row["figure"] == "iops"]
    assert iops[0]["values"] == [before["profiles"][2]["iops"], after["profiles"][1]["iops"]]
    writes = [row for row in cmp["rows"] if row["profile"] == "seq-write" and row["figure"] == "iops"]
    assert writes[0]["values"][1] is None and writes[0]["change_percent"] is None  # not run after
    assert guest.run("stat -c %a /var/lib/isc/bench").check().stdout.strip() == "700"

    # data safety: a filesystem on the map refuses the write profiles, mounted even with --destructive
    guest.run(f"mkfs.xfs -q {dev} && mkdir -p /srv/t && mount {dev} /srv/t && "
              "echo keep > /srv/t/data && sync").check()
    refused = guest.isc("bench", dev, "-p", "seq-write", *SMALL)
    assert refused.rc == 7 and "signature xfs" in refused.stderr and "mounted on /srv/t" in refused.stderr
    forced = guest.isc("bench", dev, "-p", "seq-write", "--destructive", dev, *SMALL)
    assert forced.rc == 7 and "even --destructive" in forced.stderr
    guest.run("umount /srv/t").check()
    other = guest.isc("bench", dev, "-p", "rand-write", "--destructive", "/dev/vda", *SMALL)
    assert other.rc == 2 and "not the device benchmarked" in other.stderr
    left = guest.isc("--json", "bench", dev, "-p", "seq-read", *SMALL).check()  # reads are always allowed
    assert json.loads(left.stdout)["bench"]["profiles"][0]["ios"] > 0
    assert guest.run(f"blkid -p -o value -s TYPE {dev}").check().stdout.strip() == "xfs"  # untouched

    # through the filesystem: a scratch file, gone afterwards; the files beside it kept
    guest.run(f"mount {dev} /srv/t").check()
    fs = json.loads(guest.isc("--json", "bench", "/srv/t", *SMALL).check().stdout)["bench"]
    assert [p["profile"] for p in fs["profiles"]] == ["seq-read", "seq-write", "rand-read", "rand-write"]
    assert all(p["ios"] > 0 for p in fs["profiles"])
    assert guest.run("ls -A /srv/t").check().stdout.split() == ["data"]
    assert guest.run("cat /srv/t/data").check().stdout == "keep\n"

    # two sessions per portal: four paths in one map; logout --teardown removes all four
    r = guest.isc("tune", MULTI, "--set", "nr_sessions=2", "--relogin")
    assert r.rc == 0, r.stdout + r.stderr
    sessions = json.loads(guest.isc("--json", "sessions").check().stdout)["sessions"]
    assert sorted(s["portal"] for s in sessions) == ["127.0.0.1:3260"] * 2 + ["127.0.0.2:3260"] * 2
    assert len(map_paths(guest)) == 4 and rows(guest)["nr_sessions"]["live"] == "2"
    assert guest.run("findmnt -n -o SOURCE /srv/t").check().stdout.strip() == dev  # the mount stayed
    found = json.loads(guest.isc("--json", "doctor", "--no-mtu").stdout)["findings"]
    assert not [f for f in found if f["code"] in ("ISC020", "ISC021") and f["level"] != "ok"], found
    assert "already" in guest.isc("login", MULTI).check().stdout  # 2 of 2 on each portal: nothing to add
    sid = min(s["sid"] for s in sessions if s["portal"] == "127.0.0.2:3260")
    guest.run(f"iscsiadm -m session -r {sid} -u >/dev/null").check()  # 1 of 2 left on that portal
    added = json.loads(guest.isc("--json", "login", MULTI).check().stdout)
    assert {(o["portal"], o["status"]) for o in added["logins"]} == {("127.0.0.1:3260", "already"),
                                                                       ("127.0.0.2:3260", "done")}
    assert len(json.loads(guest.isc("--json", "sessions").check().stdout)["sessions"]) == 4
    gone = guest.isc("logout", MULTI, "--teardown", "--unmount")
    assert gone.rc == 0, gone.stdout + gone.stderr
    assert guest.run("iscsiadm -m session").rc == 21 and not map_paths(guest)

    # the other profiles on the records (no session now): read back with iscsiadm
    guest.isc("tune", MULTI, "--profile", "multipath").check()
    assert record(guest, "node.session.timeo.replacement_timeout") == {"5"}
    guest.isc("tune", MULTI, "--profile", "defaults").check()
    assert record(guest, "node.session.timeo.replacement_timeout") == {"120"}
    assert record(guest, "node.session.queue_depth") == {"32"} and record(guest, "node.session.nr_sessions") == {"1"}
