"""`isc --root R --json status` and `isc --root R metrics` over synthetic trees of growing size (SESSIONS x 4
LUNs, two paths per LUN, multipath maps, half mounted), next to `python -c pass` measured in the same run.

    python bench/bench_status_scale.py

Goals: status (issue 6) and metrics (issue 14) for 256 sessions x 4 LUNs under 300 ms, linear in devices.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_sysfs import build

REPO = Path(__file__).resolve().parents[1]


def median_ms(argv: list[str], runs: int = 7) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True, cwd=REPO).stdout
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main() -> None:
    base, _ = median_ms([sys.executable, "-c", "pass"])
    print(f"baseline python -c pass: {base:.1f} ms")
    print(f"{'command':>8} {'sessions':>8} {'luns':>6} {'devices':>8} {'median ms':>10} {'x baseline':>11} "
          f"{'us/device':>10}")
    for sessions in (32, 64, 128, 256):
        root = Path(tempfile.mkdtemp())
        devices = build(root, sessions, 4)
        isc = [sys.executable, "-m", "iscsi_client", "--root", str(root)]
        ms, out = median_ms([*isc, "--json", "status"])
        doc = json.loads(out)
        assert sum(len(s["luns"]) for t in doc["targets"] for s in t["sessions"]) == sessions * 4
        mms, text = median_ms([*isc, "metrics"])
        assert text.count("\nisc_lun_paths{") == (sessions // 2) * 4  # one per target and LUN
        for name, t in (("status", ms), ("metrics", mms)):
            per = (t - base) * 1000 / devices
            print(f"{name:>8} {sessions:8} {sessions * 4:6} {devices:8} {t:10.1f} {t / base:11.1f} {per:10.1f}")


if __name__ == "__main__":
    main()
