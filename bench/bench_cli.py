"""Start-up cost of isc commands, each next to `python -c pass` measured in the same run (ratio).

    python bench/bench_cli.py [--runs 15]

Figures: median wall time of whole processes. Goals (issue 6): completion < 100 ms, status < 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def median_ms(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    full_env = dict(os.environ, **(env or {}))
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, cwd="/")
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    runs = ap.parse_args().runs
    py = sys.executable
    isc = [py, "-m", "iscsi_client"]
    snap = Path(tempfile.mkdtemp())
    with tarfile.open(REPO / "tests/fixtures/lab-root/multipath.tar.gz") as tar:
        tar.extractall(snap, filter="tar")
    root = snap / "multipath"
    empty = Path(tempfile.mkdtemp())
    cases = [
        ("isc --help", isc + ["--help"], None),
        ("isc nodes (empty root)", isc + ["--root", str(empty), "nodes"], None),
        ("isc status (nothing logged in)", isc + ["status"], None),
        ("isc status (lab snapshot, 2 paths + map)", isc + ["--root", str(root), "status"], None),
        ("isc --json status (lab snapshot)", isc + ["--root", str(root), "--json", "status"], None),
        ("TAB: isc lo<TAB>", isc, {"_ISC_COMPLETE": "bash_complete", "COMP_WORDS": "isc lo", "COMP_CWORD": "1"}),
        ("TAB: isc login iqn<TAB> (node db)", isc, {"_ISC_COMPLETE": "bash_complete", "COMP_CWORD": "4",
                                                  "COMP_WORDS": f"isc --root {root} login iqn"}),
    ]
    base = median_ms([py, "-c", "pass"], runs)
    print(f"{'case':44} {'median ms':>10} {'x python -c pass':>18}")
    print(f"{'python -c pass (baseline)':44} {base:10.1f} {1.0:18.1f}")
    for name, argv, env in cases:
        ms = median_ms(argv, runs, env)
        print(f"{name:44} {ms:10.1f} {ms / base:18.1f}")


if __name__ == "__main__":
    main()
