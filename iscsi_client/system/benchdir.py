"""Where isc bench keeps its runs: /var/lib/isc/bench/RUN.json, the directory root-only (0700), each file
0600, written atomically. A run's id is its UTC time (20261203T101500Z), with -2, -3... when two runs
start in the same second."""

from __future__ import annotations

import os
import re

from iscsi_client.system.files import write_atomic
from iscsi_client.system.root import Root

BENCH_DIR = "/var/lib/isc/bench"
_ID = re.compile(r"^\d{8}T\d{6}Z(?:-\d+)?$")


def save(root: Root, run_id: str, text: str) -> str:
    """Write a new run file; returns the id it got."""
    base = root(BENCH_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    chosen, n = run_id, 1
    while (base / f"{chosen}.json").exists():
        n += 1
        chosen = f"{run_id}-{n}"
    write_atomic(base / f"{chosen}.json", text.replace(f'"id": "{run_id}"', f'"id": "{chosen}"', 1), mode=0o600,
                 keep_backup=False)
    return chosen


def listing(root: Root) -> list[str]:
    """Saved run ids, oldest first."""
    try:
        names = os.listdir(root.str(BENCH_DIR))
    except OSError:
        return []
    return sorted((n.removesuffix(".json") for n in names if n.endswith(".json") and _ID.match(n[:-5])),
                  key=lambda i: (i.split("-")[0], int(i.split("-")[1]) if "-" in i else 1))


def read(root: Root, run_id: str) -> str:
    return root(f"{BENCH_DIR}/{run_id}.json").read_text(encoding="utf-8")
