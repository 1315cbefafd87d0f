"""Start-up of two isc installs side by side: each case runs with A, then B, then A... so that the machine's
drift falls on both alike; each figure next to `python -c pass` of the same interpreter (ratio).

    python bench/bench_cli_ab.py A_PYTHON B_PYTHON [--runs 21]

A_PYTHON and B_PYTHON are the interpreters of two regular installs (`python3 -m venv V && V/bin/pip install
CHECKOUT`), e.g. the commit before a change and after it. Most cases run `python -m iscsi_client`; the last two
run the install's own bin/isc, pip's console script, as a user does (no runpy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--runs", type=int, default=21)
    opts = ap.parse_args()
    snap = Path(tempfile.mkdtemp())
    with tarfile.open(REPO / "tests/fixtures/lab-root/multipath.tar.gz") as tar:
        tar.extractall(snap, filter="tar")
    root, empty = str(snap / "multipath"), tempfile.mkdtemp()
    isc = ["-m", "iscsi_client"]
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("python -c pass", ["-c", "pass"], {}),
        ("isc --help", [*isc, "--help"], {}),
        ("isc nodes (empty root)", [*isc, "--root", empty, "nodes"], {}),
        ("isc status (nothing logged in)", [*isc, "status"], {}),
        ("isc status (lab snapshot, tree)", [*isc, "--root", root, "status"], {}),
        ("isc --json status (lab snapshot)", [*isc, "--root", root, "--json", "status"], {}),
        ("isc --json sessions (lab snapshot)", [*isc, "--root", root, "--json", "sessions"], {}),
        ("isc --json doctor --no-mtu (lab snapshot)", [*isc, "--root", root, "--json", "doctor", "--no-mtu"], {}),
        ("isc metrics (lab snapshot)", [*isc, "--root", root, "metrics"], {}),
        ("isc --dry-run login --all (lab snapshot)", [*isc, "--root", root, "--dry-run", "login", "--all"], {}),
        ("TAB: isc lo<TAB>", isc, {"_ISC_COMPLETE": "bash_complete", "COMP_WORDS": "isc lo", "COMP_CWORD": "1"}),
    ]
    # what a user runs: pip's console script (bin/isc beside the interpreter), without runpy's `-m`
    script = "CONSOLE_SCRIPT"
    cases += [("isc --help (console script)", [script, "--help"], {}),
              ("isc --json status (lab snapshot, console script)", [script, "--root", root, "--json", "status"], {})]
    pythons = {"A": opts.a, "B": opts.b}
    times: dict[tuple[str, str], list[float]] = {(c, k): [] for c, _, _ in cases for k in pythons}
    for _ in range(opts.runs):
        for name, args, env in cases:
            for k, py in pythons.items():
                argv = [str(Path(py).with_name("isc")), *args[1:]] if args[:1] == [script] else [py, *args]
                t0 = time.perf_counter()
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                               env=dict(os.environ, **env))
                times[(name, k)].append((time.perf_counter() - t0) * 1000)
    base = {k: statistics.median(times[("python -c pass", k)]) for k in pythons}
    print(f"A: {opts.a}\nB: {opts.b}\n\n| case | A ms | x py | B ms | x py |\n|---|---:|---:|---:|---:|")
    for name, _, _ in cases:
        a, b = statistics.median(times[(name, "A")]), statistics.median(times[(name, "B")])
        print(f"| {name} | {a:.1f} | {a / base['A']:.1f} | {b:.1f} | {b / base['B']:.1f} |")


if __name__ == "__main__":
    main()
