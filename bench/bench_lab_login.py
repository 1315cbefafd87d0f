"""In the lab guest: discover + login of one LUN until its block device exists, four ways side by side (raw
iscsiadm, isc, os-brick, Ansible's community.general.open_iscsi), and how many times each runs iscsiadm.

    python bench/bench_lab_login.py [--runs 5] [--no-variant] [--against REF]

The guest is the lab image plus python3-os-brick and ansible (a variant cached under its own key, built on
first use: about 2.5 minutes). --no-variant uses the plain lab image and measures raw and isc only.

- raw: `iscsiadm -m discovery ...`, `iscsiadm -m node ... --login`, `udevadm settle` (without the settle raw
  returns about 0.25 s before the device exists).
- isc: `isc discover` + `isc login`; isc returns only once the device and its udev links exist.
- python3 -c pass in the same guest: what isc adds to raw is also shown in units of it (issue 17's goal for
  `isc discover --login`: no more than 2), taken per round (each round runs every flow and python3 -c pass
  back to back) and given as the median of the rounds with their range.
- both portals, one process: `isc discover --login --target` next to raw discovery + a login of the target on
  every portal + `udevadm settle` (two sessions, two disks).
- --against REF: `isc discover --login` as committed at REF also runs in every round, and what this tree
  adds less than REF is taken per round (a change smaller than TCG's drift still shows there).
- os-brick: connect_volume() in a fresh python3 (bench/lab_os_brick_attach.py); it waits for the device.
- ansible: `ansible localhost -m community.general.open_iscsi -a 'discover=true login=true ...'`, then
  `udevadm settle`: the module sleeps 1 s after login and globs by-path links, which under TCG are not
  there yet (it reports devicenodes: []), so without the settle it returns before the device exists.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import vm
from bench_lab_imports import install_ref
from labtargets import CHAP_SECRET, CHAP_USER, MULTI

HERE = Path(__file__).resolve().parent
VARIANT = "python3-os-brick,ansible"
RESET = ("iscsiadm -m node --logoutall=all >/dev/null 2>&1; iscsiadm -m node -o delete >/dev/null 2>&1; "
         "rm -rf /etc/iscsi/send_targets/*; udevadm settle")
# name -> (shell command, disks it must leave behind: two when it logs in on both of the target's portals)
FLOWS: dict[str, tuple[str, int]] = {
    "raw iscsiadm + udevadm settle": (
        f"iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null && iscsiadm -m node -T {MULTI} -p 127.0.0.1 "
        "--login >/dev/null && udevadm settle", 1),
    "isc discover + isc login": (
        f"isc discover 127.0.0.1 >/dev/null && isc login {MULTI} -p 127.0.0.1 >/dev/null", 1),
    "raw, both portals + settle": (
        f"iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null && iscsiadm -m node -T {MULTI} --login >/dev/null"
        " && udevadm settle", 2),
    "isc discover --login, both portals": (f"isc discover 127.0.0.1 --login --target {MULTI} >/dev/null", 2),
    "os-brick connect_volume": (f"python3 /root/os_brick_attach.py {MULTI} 127.0.0.1:3260 >/dev/null 2>&1", 1),
    "ansible open_iscsi + settle": (
        "LC_ALL=C.UTF-8 ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False "
        "ansible localhost -c local -m community.general.open_iscsi "
        f"-a 'portal=127.0.0.1 target={MULTI} discover=true login=true' >/tmp/ansible.out && udevadm settle", 1),
}
COUNTER = """#!/bin/sh
echo "$@" >> /tmp/iscsiadm.calls
exec /usr/bin/iscsiadm "$@"
"""


def timed(g: vm.Guest, command: str, disks: int = 1) -> float:
    g.run(RESET)
    exist = " && ".join(f"test -b /dev/sd{c}" for c in "abcd"[:disks])
    r = g.run(f"s=$(date +%s.%N); {command} && {exist}; rc=$?; e=$(date +%s.%N); echo $rc $s $e",
              timeout=600)
    rc, start, end = r.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{command} failed: {r.stderr}")
    return float(end) - float(start)


def _seconds(g: vm.Guest, command: str) -> float:
    r = g.run(f"s=$(date +%s.%N); {command}; e=$(date +%s.%N); echo $s $e")
    start, end = r.stdout.split()
    return float(end) - float(start)


def calls(g: vm.Guest, command: str, env: dict[str, str] | None = None) -> int:
    """iscsiadm executions of one command, counted by a wrapper first on PATH."""
    g.run("rm -f /tmp/iscsiadm.calls; touch /tmp/iscsiadm.calls")
    g.run(command, env=env, timeout=600).check()
    return int(g.run("wc -l < /tmp/iscsiadm.calls").stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-variant", action="store_true", help="plain lab image: raw and isc only")
    ap.add_argument("--against", metavar="REF", help="also time `isc discover --login` as committed at REF")
    opts = ap.parse_args()
    flows = {k: v for k, v in FLOWS.items() if not k.startswith(("os-brick", "ansible"))} if opts.no_variant \
        else dict(FLOWS)
    with vm.site() as share, vm.Guest(vm.build_image("" if opts.no_variant else VARIANT), share=share) as g:
        ref = ""
        if opts.against:
            ref = f"isc {install_ref(g, share, opts.against)} --login, both portals"
            flows[ref] = (f"isc-ref discover 127.0.0.1 --login --target {MULTI} >/dev/null", 2)
        g.run("mkdir -p /run/os-brick-locks && cat > /root/os_brick_attach.py",
              stdin=(HERE / "lab_os_brick_attach.py").read_text()).check()
        g.run(RESET)
        # one untimed pass of each flow: page cache and .pyc files warm for everyone alike
        for flow in flows.values():
            timed(g, *flow)
        # rounds, not one series per flow: TCG drifts within a run, and each round's flows and python3 -c pass
        # run back to back, so what isc adds is taken per round (then the median of the rounds)
        times: dict[str, list[float]] = {name: [] for name in flows}
        pys: list[float] = []
        for n in range(opts.runs):
            # every other round in the reverse order: a flow is not always the one that follows another
            for name, flow in (reversed(flows.items()) if n % 2 else flows.items()):
                times[name].append(timed(g, *flow))
            pys.append(_seconds(g, "python3 -c pass"))
        py = statistics.median(pys)
        if "ansible open_iscsi + settle" in flows:
            answer = json.loads(g.run("cat /tmp/ansible.out").stdout.split("=>", 1)[1])
            print(f"ansible's own answer (last run): {answer}")
        print(f"discover + login until the disks exist, median of {opts.runs} (QEMU TCG guest):")
        for name, values in times.items():
            base = "raw, both portals + settle" if "both portals" in name else "raw iscsiadm + udevadm settle"
            raw = statistics.median(times[base])
            m = statistics.median(values)
            per_round = [(t - r) / q for t, r, q in zip(values, times[base], pys, strict=True)]
            added = (f"   added {statistics.median(per_round):4.1f} x python3 -c pass (rounds "
                     f"{min(per_round):.1f}-{max(per_round):.1f})") if name.startswith("isc") else ""
            print(f"  {name:36} {m:6.2f} s   {m / raw:5.2f}x raw   (min {min(values):.2f}, max {max(values):.2f})"
                  + added)
        print(f"  {'python3 -c pass':36} {py:6.2f} s")
        if ref:
            ours = "isc discover --login, both portals"
            less = [(r - t) / q for t, r, q in zip(times[ours], times[ref], pys, strict=True)]
            print(f"  per round, `{ours}` added {statistics.median(less):.2f} x python3 -c pass less than "
                  f"{ref.split()[1]} (rounds {min(less):.2f} to {max(less):.2f})")

        g.run("printf '%s' \"$W\" > /usr/local/sbin/iscsiadm && chmod +x /usr/local/sbin/iscsiadm",
              env={"W": COUNTER}).check()
        try:
            print("iscsiadm executions for that flow (one portal):")
            for name, (command, _) in flows.items():
                g.run(RESET)
                print(f"  {name:36} {calls(g, command)}")
                for line in g.run("cat /tmp/iscsiadm.calls").stdout.splitlines():
                    print(f"      iscsiadm {line}")
            g.run(RESET)
            env = {"ISC_CHAP_PASSWORD": CHAP_SECRET}
            steps = [("discover", "isc discover 127.0.0.1"), ("chap", f"isc chap {MULTI} --user {CHAP_USER}"),
                     ("login", f"isc login {MULTI}"), ("startup", f"isc startup {MULTI} automatic")]
            print("isc, discover + CHAP + login + startup for a target on two portals:")
            total = 0
            for name, command in steps:
                n = calls(g, command, env)
                total += n
                print(f"  {name:9} {n}")
                if name == "chap":  # the two-portal target does not use CHAP: take it off again (not counted)
                    g.run(f"isc chap {MULTI} --clear").check()
            print(f"  total     {total}  ({total / 2:.1f} per portal)")
        finally:
            g.run("rm -f /usr/local/sbin/iscsiadm")
            g.run(RESET)


if __name__ == "__main__":
    main()
