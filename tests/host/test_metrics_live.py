"""isc metrics on the live host, with records made by the real iscsiadm: it never runs iscsiadm (a wrapper
first on PATH records every call), writes only the textfile, and automatic records without a session show
as not logged in."""

from __future__ import annotations

import os
from pathlib import Path

from hostenv import NOAUTH
from prometheus_client.parser import text_string_to_metric_families


def test_metrics_never_run_iscsiadm(tgtd, host, tmp_path: Path):
    assert host.isc("discover", "127.0.0.1").returncode == 0
    assert host.isc("startup", NOAUTH, "automatic").returncode == 0
    spy = tmp_path / "bin"
    spy.mkdir()
    calls = tmp_path / "calls"
    (spy / "iscsiadm").write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nexec /usr/sbin/iscsiadm \"$@\"\n")
    (spy / "iscsiadm").chmod(0o755)
    env = {"PATH": f"{spy}:{os.environ['PATH']}"}
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    before = sorted(p.name for p in host.etc.rglob("*"))
    r = host.isc("metrics", env=env)
    assert r.returncode == 0, r.stderr
    w = host.isc("metrics", "--textfile", str(textfile), env=env)
    assert w.returncode == 0, w.stderr
    assert not calls.exists(), calls.read_text()
    assert sorted(p.name for p in host.etc.rglob("*")) == before
    for text in (r.stdout, (textfile / "isc.prom").read_text()):
        got = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for fam in text_string_to_metric_families(text) for s in fam.samples}
        key = ("isc_node_logged_in", (("portal", "127.0.0.1:3260"), ("startup", "automatic"), ("target", NOAUTH)))
        assert got[key] == 0
        assert got[("isc_doctor_findings", (("code", "ISC001"), ("level", "ok")))] >= 0
