"""In the lab guest: N LIO targets x 2 portals (one nullio LUN each, isc's multipath drop-in installed, so
every LUN becomes a map), brought up and torn down by raw iscsiadm and by isc in --rounds rounds (raw first in the
first round, isc first in the next, and so on), reported as the best of each and as the median of the rounds'
ratios. Each timed teardown starts once multipathd has made every map and udev is idle. An untimed
isc bring-up and teardown first registers the LUNs' WWIDs: every timed bring-up waits for the same N maps.

    python bench/bench_lab_scale.py [--sizes 1,8,32] [--rounds 3]

- bring-up, raw: ``iscsiadm -m node --loginall=all`` + ``udevadm settle``;
  isc: ``isc login --all`` (returns once every new session's disks exist and are known to udev).
- teardown, raw: ``multipath -F`` + ``iscsiadm -m node --logoutall=all`` + ``udevadm settle``;
  isc: ``isc logout --all --teardown`` (checks holders, flushes maps and buffers while it reads the records'
  startup lines, logs out, which takes the disks with the sessions, sets node.startup manual where a record
  is not).
- with the 2N sessions up: ``isc --json status``, ``isc status``, ``isc --json multipath status``,
  ``isc --json doctor --no-mtu``, ``isc metrics``, each as a multiple of ``python3 -c pass`` in the same guest
  (median of 3); and status run through the typer tree (what every command did before cli/direct.py), for the
  framework's share.

Every figure is wall time under TCG: the ratios within one run are what carry over.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import scale
import vm
from labtargets import CHAP, MULTI, MUTUAL, NOACL, NOLUN

UP = {"raw": "iscsiadm -m node --loginall=all >/dev/null && udevadm settle",
      "isc": "isc login --all >/dev/null"}
DOWN = {"raw": "multipath -F; iscsiadm -m node --logoutall=all >/dev/null && udevadm settle",
        "isc": "isc logout --all --teardown >/dev/null 2>&1"}
TREE = "PYTHONPATH=/opt/isc/site python3 -c 'import sys; from iscsi_client.cli.app import main; main(sys.argv[1:])'"
READS = {"isc --json status": "isc --json status >/dev/null",
         "isc status (the tree)": "isc status >/dev/null",
         "the same through the typer tree": f"{TREE} --json status >/dev/null",
         "isc --json multipath status": "isc --json multipath status >/dev/null",
         "isc --json doctor --no-mtu": "isc --json doctor --no-mtu >/dev/null",
         "isc metrics": "isc metrics >/dev/null",
         "python3 -c pass": "python3 -c pass"}


def seconds(g: vm.Guest, command: str) -> float:
    r = g.run(f"udevadm settle; s=$(date +%s.%N); {command}; rc=$?; e=$(date +%s.%N); echo $rc $s $e", timeout=1800)
    rc, start, end = r.stdout.split()[-3:]
    if rc not in ("0", "1"):  # doctor exits 1 with warnings
        raise RuntimeError(f"{command} failed ({rc}): {r.stdout}{r.stderr}")
    return float(end) - float(start)


def await_maps(g: vm.Guest, n: int) -> None:
    """Untimed, before a timed teardown: multipathd has made all n maps and udev is idle, so that both
    teardowns start from the same state (after a bring-up multipathd may still be making maps)."""
    g.run(f"for i in $(seq 120); do [ $(dmsetup ls --target multipath 2>/dev/null | grep -c .) -ge {n} ] && break; "
          "sleep 0.5; done; udevadm settle", timeout=120)


def sessions(g: vm.Guest) -> int:
    return sum(1 for ln in g.run("iscsiadm -m session 2>/dev/null").stdout.splitlines() if ln.startswith("tcp:"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,8,32")
    ap.add_argument("--rounds", type=int, default=3)
    opts = ap.parse_args()
    rows = []
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        g.isc("multipath", "config", "--write").check()
        for t in (MULTI, CHAP, MUTUAL, NOLUN, NOACL):
            g.run(f"iscsiadm -m node -T {t} -o delete")
        for n in (int(x) for x in opts.sizes.split(",")):
            scale.remove_targets(g)
            g.run("iscsiadm -m node -o delete; rm -rf /etc/iscsi/send_targets/*")
            scale.make_targets(g, n)
            g.isc("discover", "127.0.0.1").check()
            for t in (MULTI, CHAP, MUTUAL, NOLUN, NOACL):
                g.run(f"iscsiadm -m node -T {t} -o delete")
            # untimed: isc registers the new LUNs' WWIDs, so that every timed bring-up, raw or isc, waits
            # for the same N maps (before this, raw's first round made no map and was the one kept); with
            # its 2N sessions up, the reads run, before any timed teardown
            seconds(g, UP["isc"])
            assert sessions(g) == 2 * n
            reads = {k: statistics.median(seconds(g, c) for _ in range(3)) for k, c in READS.items()}
            seconds(g, DOWN["isc"])
            times: dict[str, list[float]] = {f"{step} {how}": [] for step in ("up", "down") for how in ("raw", "isc")}
            for round_no in range(opts.rounds):
                # the order turns each round: neither flow always runs first after the other's teardown
                for how in ("raw", "isc") if round_no % 2 == 0 else ("isc", "raw"):
                    times[f"up {how}"].append(seconds(g, UP[how]))
                    assert sessions(g) == 2 * n, f"{how} bring-up gave {sessions(g)} sessions"
                    await_maps(g, n)
                    times[f"down {how}"].append(seconds(g, DOWN[how]))
                    assert sessions(g) == 0, f"{how} teardown left {sessions(g)} sessions"
            best = {k: min(v) for k, v in times.items()}
            # each round's isc against its raw, run beside it: the guest's pace drifts over a run (page
            # cache, udev's database, iscsid's state), and a pair shares it
            paired = {step: statistics.median(i / r for i, r in zip(times[f"{step} isc"], times[f"{step} raw"],
                                                                    strict=True)) for step in ("up", "down")}
            rows.append((n, best, paired, reads))
            print(f"N={n}: bring-up raw {best['up raw']:.1f} s, isc {best['up isc']:.1f} s "
                  f"({best['up isc'] / best['up raw']:.2f}x best of {opts.rounds}, {paired['up']:.2f}x median of the "
                  f"rounds' ratios); teardown raw {best['down raw']:.1f} s, isc {best['down isc']:.1f} s "
                  f"({best['down isc'] / best['down raw']:.2f}x, {paired['down']:.2f}x)", flush=True)
            for key, values in times.items():
                print(f"   {key}: " + " ".join(f"{v:.2f}" for v in values), flush=True)
            base = reads["python3 -c pass"]
            print("   " + ", ".join(f"{k} {v:.2f} s ({v / base:.1f}x)" for k, v in reads.items()), flush=True)
    print("\n| targets x 2 portals | bring-up raw s | isc s | isc x raw (best; paired median) | teardown raw s | "
          "isc s | isc x raw (best; paired median) | status x py | status via typer x py | multipath status x py | "
          "doctor x py | metrics x py |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, b, p, r in rows:
        base = r["python3 -c pass"]
        print(f"| {n} | {b['up raw']:.1f} | {b['up isc']:.1f} | {b['up isc'] / b['up raw']:.2f}; {p['up']:.2f} | "
              f"{b['down raw']:.1f} | {b['down isc']:.1f} | {b['down isc'] / b['down raw']:.2f}; {p['down']:.2f} | "
              f"{r['isc --json status'] / base:.1f} | {r['the same through the typer tree'] / base:.1f} | "
              f"{r['isc --json multipath status'] / base:.1f} | {r['isc --json doctor --no-mtu'] / base:.1f} | "
              f"{r['isc metrics'] / base:.1f} |")


if __name__ == "__main__":
    main()
