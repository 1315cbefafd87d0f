"""In the lab guest: from nothing to a mounted XFS through the multipath map of the two-portal target with
CHAP, three ways side by side, with the number of iscsiadm executions of each.

    python bench/bench_lab_connect.py [--runs 3]

Each round runs every flow once, one after the other; the ratio to raw is the median of the rounds' own ratios.

- raw: the classic guide typed as commands: discovery, three CHAP updates, node.startup, login, udevadm
  settle, multipath -a, multipathd reconfigure, wait for the map, mkfs.xfs, an fstab line, mount.
- isc, separate commands: isc discover, isc chap, isc login, isc multipath config --write, isc persist --mkfs.
- isc connect --mount --mkfs --no-mtu (the same steps as one plan, each checked before and after it runs).

Every flow starts from the same state: no records, sessions, maps, WWIDs, drop-in or fstab line, and the
LUN wiped. The figures are wall time under TCG; the ratio to raw is what carries over.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import vm
from labtargets import CHAP_SECRET, CHAP_USER, INITIATOR, MULTI

RESET = (
    "umount /srv/b 2>/dev/null; sed -i '/\\/srv\\/b /d; /^# isc: /d' /etc/fstab; multipath -F >/dev/null 2>&1; "
    "iscsiadm -m node --logoutall=all >/dev/null 2>&1; iscsiadm -m node -o delete >/dev/null 2>&1; "
    "rm -rf /etc/iscsi/send_targets/*; rm -f /etc/multipath/conf.d/isc.conf; "
    "printf '# Multipath wwids, Version : 1.0\\n' > /etc/multipath/wwids; multipathd reconfigure >/dev/null; "
    "dd if=/dev/zero of=/var/lib/isc-lab/multi.img bs=1M count=8 conv=notrunc status=none; udevadm settle; "
    "systemctl daemon-reload"
)
UPDATE = f"iscsiadm -m node -T {MULTI} -o update"
FLOWS: dict[str, str] = {
    "raw commands of the guide": (
        f"iscsiadm -m discovery -t st -p 127.0.0.1 -o new >/dev/null && "
        f"{UPDATE} -n node.session.auth.authmethod -v CHAP && "
        f"{UPDATE} -n node.session.auth.username -v {CHAP_USER} && "
        f"{UPDATE} -n node.session.auth.password -v {CHAP_SECRET} && "
        f"{UPDATE} -n node.startup -v automatic && "
        f"iscsiadm -m node -T {MULTI} --login >/dev/null && udevadm settle && "
        "multipath -a /dev/sda >/dev/null && multipathd reconfigure >/dev/null && udevadm settle && "
        f"w=$(multipath -ll | awk '/ dm-/ {{print $1}}'); "
        "until [ -n \"$w\" ] && [ -b /dev/mapper/$w ]; do sleep 0.1; w=$(multipath -ll | awk '/ dm-/ {print $1}'); "
        "done; mkfs.xfs -q /dev/mapper/$w && "
        "echo \"/dev/disk/by-id/dm-uuid-mpath-$w /srv/b xfs _netdev,nofail 0 0\" >> /etc/fstab && "
        "mkdir -p /srv/b && systemctl daemon-reload && mount /srv/b"),
    "isc, separate commands": (
        f"isc discover 127.0.0.1 >/dev/null && ISC_CHAP_PASSWORD={CHAP_SECRET} isc chap {MULTI} --user {CHAP_USER} "
        f">/dev/null && isc login {MULTI} >/dev/null && isc multipath config --write >/dev/null && "
        f"isc persist {MULTI}/0 /srv/b --mkfs >/dev/null"),
    "isc connect --mount --mkfs": (
        f"printf '%s\\n' {CHAP_SECRET} > /root/s && isc connect 127.0.0.1 --target {MULTI} --chap-user {CHAP_USER} "
        "--password-file /root/s --mount /srv/b --mkfs --no-mtu >/dev/null"),
}
COUNTER = """#!/bin/sh
echo "$@" >> /tmp/iscsiadm.calls
exec /usr/bin/iscsiadm "$@"
"""


def timed(g: vm.Guest, command: str, *, reset: str | None = RESET, mountpoint: str = "/srv/b") -> float:
    """Wall time of ``command`` in the guest (after ``reset``), which must leave ``mountpoint`` mounted."""
    if reset:
        g.run(reset, timeout=120)
    r = g.run(f"s=$(date +%s.%N); {command} && findmnt {mountpoint} >/dev/null; rc=$?; e=$(date +%s.%N); "
              "echo $rc $s $e", timeout=900)
    rc, start, end = r.stdout.split()[-3:]
    if rc != "0":
        raise RuntimeError(f"{command} failed: {r.stdout}{r.stderr}")
    return float(end) - float(start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        acl = f"/iscsi/{MULTI}/tpg1/acls/{INITIATOR}"
        g.run(f"targetcli {acl} set auth userid={CHAP_USER} password={CHAP_SECRET} >/dev/null && "
              f"targetcli /iscsi/{MULTI}/tpg1 set attribute authentication=1 >/dev/null").check()
        for command in FLOWS.values():  # one untimed pass each: page cache and .pyc files warm for all
            timed(g, command)
        # rounds of one run of each flow, one after the other: the guest's speed drifts by 10-20% over minutes
        # under TCG, and a ratio taken within one round cancels that drift
        times: dict[str, list[float]] = {name: [] for name in FLOWS}
        for _ in range(opts.runs):
            for name, command in FLOWS.items():
                times[name].append(timed(g, command))
        raw_times = times["raw commands of the guide"]
        print(f"portal to a mounted XFS through the map (two portals, CHAP), median of {opts.runs} rounds, TCG guest:")
        for name, values in times.items():
            m = statistics.median(values)
            ratio = statistics.median(v / r for v, r in zip(values, raw_times, strict=True))
            print(f"  {name:28} {m:6.2f} s   {ratio:5.2f}x raw, median of the rounds' ratios "
                  f"({min(v / r for v, r in zip(values, raw_times, strict=True)):.2f}-"
                  f"{max(v / r for v, r in zip(values, raw_times, strict=True)):.2f}; "
                  f"min {min(values):.2f} s, max {max(values):.2f} s)")
        g.run(RESET, timeout=120)
        doc = json.loads(g.run(FLOWS["isc connect --mount --mkfs"].replace("--no-mtu >/dev/null", "--no-mtu --json"),
                               timeout=600).check().stdout.splitlines()[-1])
        start = g.run("s=$(date +%s.%N); python3 -c pass; e=$(date +%s.%N); echo $s $e").stdout.split()
        print(f"where one connect's time goes (its own --json; python3 -c pass here: "
              f"{float(start[1]) - float(start[0]):.2f} s):")
        for step in doc["steps"]:
            print(f"  {step['step']:10} {step['seconds']:6.2f} s  {len(step['commands'])} command(s)")
        g.run("printf '%s' \"$W\" > /usr/local/sbin/iscsiadm && chmod +x /usr/local/sbin/iscsiadm",
              env={"W": COUNTER}).check()
        try:
            print("iscsiadm executions:")
            for name, command in FLOWS.items():
                g.run(RESET, timeout=120)
                g.run("rm -f /tmp/iscsiadm.calls; touch /tmp/iscsiadm.calls")
                g.run(command, timeout=600).check()
                print(f"  {name:28} {int(g.run('wc -l < /tmp/iscsiadm.calls').stdout)}")
        finally:
            g.run("rm -f /usr/local/sbin/iscsiadm")
            g.run(RESET, timeout=120)


if __name__ == "__main__":
    main()
