"""fio's JSON output (``--output-format=json``) into the figures isc bench shows, and its eta lines into a
progress fraction. Every figure comes from fio's own fields, never computed from another one:

- ``bw_bytes``: bandwidth in bytes per second; ``iops``; ``clat_ns``: completion latency in nanoseconds
  with its ``percentile`` table (keys like "99.000000");
- ``error``: the job's errno (0 when it ran); ``total_ios``, ``runtime`` in milliseconds;
- with ``--group_reporting`` the jobs of one profile come as one entry.
"""

from __future__ import annotations

import json
import re

from iscsi_client.errors import IscError
from iscsi_client.records import record

PERCENTILES = ("50.000000", "95.000000", "99.000000", "99.900000")


@record
class Direction:
    """One direction (read or write) of one fio job, as fio reported it."""

    bw_bytes: int  # bytes per second
    iops: float
    ios: int  # total_ios
    runtime_ms: int
    clat_mean_ns: float
    clat_percentiles_ns: dict[str, int]  # "50.000000" -> ns, the ones in PERCENTILES that fio gave


@record
class FioJob:
    name: str
    error: int  # errno of the job, 0 when it ran clean
    options: dict[str, str]  # the job's options as fio echoes them ("job options")
    read: Direction | None  # None when the job did no I/O in that direction
    write: Direction | None
    fio_version: str = ""

    @property
    def main(self) -> Direction | None:
        """The direction the job is about (a read job's read side)."""
        return self.write if self.write is not None and (self.read is None or self.write.ios > self.read.ios) \
            else self.read


def _direction(raw: object) -> Direction | None:
    if not isinstance(raw, dict):
        return None
    ios = int(raw.get("total_ios", 0) or 0)
    if ios <= 0:
        return None
    clat = raw.get("clat_ns") or {}
    table = clat.get("percentile") or {}
    return Direction(bw_bytes=int(raw.get("bw_bytes", 0) or 0), iops=float(raw.get("iops", 0.0) or 0.0), ios=ios,
                     runtime_ms=int(raw.get("runtime", 0) or 0), clat_mean_ns=float(clat.get("mean", 0.0) or 0.0),
                     clat_percentiles_ns={k: int(table[k]) for k in PERCENTILES if k in table})


def parse_fio_json(text: str) -> list[FioJob]:
    """The jobs of one fio run. fio may print warnings before the JSON document ("fio: ..."): they are
    skipped up to the first line that opens it."""
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.startswith("{")), 0)
    try:
        doc = json.loads("".join(lines[first:]))
    except ValueError as e:  # json.JSONDecodeError, or text that is not even UTF-8 decodable
        raise IscError(f"fio's output is not the JSON it was asked for ({e})",
                       hint="run the same fio command by hand (isc -v shows it) to see what it printed") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise IscError("fio's JSON has no jobs", hint="isc -v shows the fio command")
    version = str(doc.get("fio version", ""))
    out = []
    for job in doc["jobs"]:
        if not isinstance(job, dict):
            continue
        options = {str(k): str(v) for k, v in (job.get("job options") or {}).items()}
        out.append(FioJob(str(job.get("jobname", "")), int(job.get("error", 0) or 0), options,
                          _direction(job.get("read")), _direction(job.get("write")), version))
    return out


_ETA = re.compile(r"\]\[(\d+(?:\.\d+)?)%\]")


def eta_fraction(line: str) -> float | None:
    """The done fraction in one of fio's eta lines ("Jobs: 1 (f=1): [R(1)][75.0%][r=70.9MiB/s]...")."""
    m = _ETA.search(line)
    return min(1.0, float(m.group(1)) / 100) if m else None
