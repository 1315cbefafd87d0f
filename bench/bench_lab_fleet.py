"""In the lab guest: the collection's example playbook (Debian 12's ansible-core, connection local) next to
`isc connect` alone, for the same result: the two-portal target with CHAP, XFS mounted through the map.

    python bench/bench_lab_fleet.py [--runs 3]

- first: from nothing (no records, sessions, maps, WWIDs, drop-in, fstab line; the LUN wiped), with mkfs;
- second: everything in place (the playbook reports changed=0, connect changes nothing).

Ansible's own cost is the ratio: its start-up, the vault, the module's transfer and its Python start-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet
import vm
from bench_lab_connect import RESET, timed
from labtargets import CHAP_SECRET, CHAP_USER, INITIATOR, MULTI

MOUNT = "/srv/data"
RESET_DATA = RESET.replace("umount /srv/b", f"umount {MOUNT}").replace("\\/srv\\/b ", "\\/srv\\/data ")
CONNECT = (f"isc connect 127.0.0.1 127.0.0.2 --target {MULTI} --chap-user {CHAP_USER} --password-file /root/s "
           f"--mount {MOUNT} --fstype xfs --mkfs --no-mtu >/dev/null")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        acl = f"/iscsi/{MULTI}/tpg1/acls/{INITIATOR}"
        g.run(f"targetcli {acl} set auth userid={CHAP_USER} password={CHAP_SECRET} >/dev/null && "
              f"targetcli /iscsi/{MULTI}/tpg1 set attribute authentication=1 >/dev/null && "
              f"umask 077 && printf '%s\\n' {CHAP_SECRET} > /root/s").check()
        fleet.install(g, share, CHAP_SECRET)
        book = ("cd /root/fleet && ansible-playbook -i inventory.ini playbook.yml -e iscsi_mtu_check=false "
                f"--vault-password-file {fleet.VAULT_PW} >/dev/null")
        env = " ".join(f"{k}={v}" for k, v in fleet.ANSIBLE_ENV.items())
        times: dict[str, list[float]] = {k: [] for k in ("playbook first", "connect first", "playbook second",
                                                         "connect second")}
        for run in range(opts.runs + 1):  # the first round warms page cache and .pyc files, untimed
            for flow, command in (("playbook", f"env {env} sh -c '{book}'"), ("connect", CONNECT)):
                first = timed(g, command, reset=RESET_DATA, mountpoint=MOUNT)
                second = timed(g, command, reset=None, mountpoint=MOUNT)
                if run:
                    times[f"{flow} first"].append(first)
                    times[f"{flow} second"].append(second)
        base = g.run("s=$(date +%s.%N); python3 -c pass; e=$(date +%s.%N); echo $s $e").stdout.split()
        print(f"example playbook against isc connect, median of {opts.runs}, TCG guest "
              f"(python3 -c pass: {float(base[1]) - float(base[0]):.2f} s):")
        for case in ("first", "second"):
            book_s = statistics.median(times[f"playbook {case}"])
            conn_s = statistics.median(times[f"connect {case}"])
            print(f"  {case:6}  playbook {book_s:6.2f} s   isc connect {conn_s:6.2f} s   {book_s / conn_s:5.2f}x")
        g.run(RESET_DATA, timeout=120)


if __name__ == "__main__":
    main()
