"""In the lab guest: discover + login of one LUN until its block device exists, isc next to raw iscsiadm,
and the number of iscsiadm executions isc makes for discover + CHAP + login + startup on two portals.

    python bench/bench_lab_login.py [--runs 5]

Raw is `iscsiadm -m discovery ... && iscsiadm -m node ... --login && udevadm settle` (without the settle raw
returns before the device exists); isc returns only once the device and its udev links exist.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import vm
from labtargets import CHAP_SECRET, CHAP_USER, MULTI

RESET = ("iscsiadm -m node --logoutall=all >/dev/null 2>&1; iscsiadm -m node -o delete >/dev/null 2>&1; "
         "rm -rf /etc/iscsi/send_targets/*; udevadm settle")
RAW = (f"iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null && iscsiadm -m node -T {MULTI} -p 127.0.0.1 --login "
       ">/dev/null && udevadm settle && test -b /dev/sda")
ISC = f"isc discover 127.0.0.1 >/dev/null && isc login {MULTI} -p 127.0.0.1 >/dev/null && test -b /dev/sda"
COUNTER = """#!/bin/sh
echo "$@" >> /tmp/iscsiadm.calls
exec /usr/bin/iscsiadm "$@"
"""


def timed(g: vm.Guest, command: str) -> float:
    g.run(RESET)
    r = g.run(f"s=$(date +%s.%N); {command}; rc=$?; e=$(date +%s.%N); echo $rc $s $e")
    rc, start, end = r.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{command} failed: {r.stderr}")
    return float(end) - float(start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs
    share = vm.site_dir()
    with vm.Guest(vm.build_image(), share=share) as g:
        raw = [timed(g, RAW) for _ in range(runs)]
        isc = [timed(g, ISC) for _ in range(runs)]
        r, i = statistics.median(raw), statistics.median(isc)
        print(f"discover + login + device, median of {runs} (TCG guest):")
        print(f"  raw iscsiadm + udevadm settle : {r:6.2f} s")
        print(f"  isc discover + isc login      : {i:6.2f} s   ratio {i / r:.2f}x raw")
        g.run(RESET)
        g.run(f"printf '%s' '{COUNTER}' > /usr/local/sbin/iscsiadm-count && chmod +x /usr/local/sbin/iscsiadm-count"
              " && rm -f /tmp/iscsiadm.calls").check()
        env = {"ISC_ISCSIADM": "/usr/local/sbin/iscsiadm-count", "ISC_CHAP_PASSWORD": CHAP_SECRET}
        steps = [("discover", ["discover", "127.0.0.1"]), ("chap", ["chap", MULTI, "--user", CHAP_USER]),
                 ("login", ["login", MULTI]), ("startup", ["startup", MULTI, "automatic"])]
        print("iscsiadm executions for a target on two portals:")
        total = 0
        for name, args in steps:
            before = int(g.run("cat /tmp/iscsiadm.calls 2>/dev/null | wc -l").stdout)
            g.isc(*args, env=env).check()
            n = int(g.run("cat /tmp/iscsiadm.calls | wc -l").stdout) - before
            total += n
            print(f"  {name:9} {n}")
            if name == "chap":  # the lab's two-portal target does not use CHAP: take it off again (not counted)
                g.isc("chap", MULTI, "--clear").check()
        print(f"  total     {total}  ({total / 2:.1f} per portal; os-brick's connect_volume is documented at 6-10 "
              "per portal, not measured here)")
        g.isc("logout", MULTI).check()


if __name__ == "__main__":
    main()
