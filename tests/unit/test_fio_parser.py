"""fio's JSON, as fio 3.33 wrote it in the lab guest (tests/fixtures/fio/: a 3 s run of each of isc bench's
profiles against the LIO LUN, the write ones on a scratch file of a mounted XFS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.errors import IscError
from iscsi_client.parsers.fio import eta_fraction, parse_fio_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fio"


@pytest.mark.parametrize(("name", "side"), [("seq-read", "read"), ("rand-read", "read"), ("seq-write", "write"),
                                            ("rand-write", "write")])
def test_every_figure_is_fios_own(name, side):
    text = (FIXTURES / f"{name}.json").read_text()
    raw = json.loads(text)["jobs"][0][side]
    (job,) = parse_fio_json(text)
    assert job.name == name and job.error == 0 and job.fio_version == "fio-3.33"
    main = job.main
    assert main is not None and main is getattr(job, side)
    assert (main.bw_bytes, main.iops, main.ios) == (raw["bw_bytes"], raw["iops"], raw["total_ios"])
    assert main.clat_mean_ns == raw["clat_ns"]["mean"]
    assert main.clat_percentiles_ns["99.000000"] == raw["clat_ns"]["percentile"]["99.000000"]
    other = job.write if side == "read" else job.read
    assert other is None  # no I/O that way: not a row of zeros


def test_warnings_before_the_document_are_skipped():
    text = "fio: terminating on signal 2\n\n" + (FIXTURES / "seq-read.json").read_text()
    (job,) = parse_fio_json(text)
    assert job.read is not None and job.read.ios > 0


@given(st.text(max_size=200))
def test_anything_else_is_an_isc_error(text):
    try:
        parse_fio_json(text)
    except IscError:
        pass


def test_eta_lines():
    assert eta_fraction("Jobs: 1 (f=1): [R(1)][75.0%][r=70.9MiB/s][r=70 IOPS][eta 00m:01s]") == 0.75
    assert eta_fraction("Jobs: 1 (f=1)") is None
