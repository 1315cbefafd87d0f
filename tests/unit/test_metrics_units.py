"""The shipped systemd units, their install under --root, and the sample alerting rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from iscsi_client.ops.metrics import families
from iscsi_client.ops.metrics_units import unit_texts

REPO = Path(__file__).resolve().parents[2]


def isc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", *args], capture_output=True, text=True, cwd=REPO)


def test_shipped_units_are_what_install_writes():
    for name, text in unit_texts("/usr/bin/isc").items():
        assert (REPO / "systemd" / name).read_text() == text, f"regenerate systemd/{name}"


def test_service_only_writes_the_textfile():
    service = unit_texts("/usr/local/bin/isc", "/srv/textfile")["isc-metrics.service"]
    assert "ExecStart=/usr/local/bin/isc metrics --textfile /srv/textfile\n" in service
    assert "ProtectSystem=strict\n" in service and "ReadWritePaths=/srv/textfile\n" in service
    assert "Type=oneshot\n" in service


def test_white_space_in_a_path_is_refused(tmp_path: Path):
    r = isc("--root", str(tmp_path), "metrics", "install", "--isc", "/opt/my tools/isc")
    assert r.returncode == 2 and "white space" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="needs systemctl (it enables units offline)")
def test_install_under_root_enables_the_timer_and_converges(tmp_path: Path):
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    (tmp_path / "usr/lib/systemd/system").mkdir(parents=True)
    (tmp_path / "usr/lib/systemd/system/timers.target").write_text("[Unit]\nDescription=Timers\n")
    dry = json.loads(isc("--root", str(tmp_path), "--json", "--dry-run", "metrics", "install",
                         "--isc", "/usr/bin/isc").stdout)["install"]
    assert dry["changed"] and dry["timer_enabled"] and dry["dry_run"]
    assert not (tmp_path / "etc/systemd/system/isc-metrics.service").exists()
    r = isc("--root", str(tmp_path), "--json", "metrics", "install", "--isc", "/usr/bin/isc")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)["install"]
    assert doc["changed"] and [u["changed"] for u in doc["units"]] == [True, True]
    unit_dir = tmp_path / "etc/systemd/system"
    assert (unit_dir / "isc-metrics.timer").read_text() == (REPO / "systemd/isc-metrics.timer").read_text()
    assert (unit_dir / "timers.target.wants/isc-metrics.timer").is_symlink()
    again = json.loads(isc("--root", str(tmp_path), "--json", "metrics", "install", "--isc", "/usr/bin/isc").stdout)
    assert again["install"]["changed"] is False


# --- the alerting rules --------------------------------------------------------------------------------
def _emitted() -> dict[str, set[str]]:
    """Metric name -> label names, of every family isc metrics exports."""
    from iscsi_client.ops.doctor_facts import Facts
    from iscsi_client.ops.initiator import InitiatorName

    f = Facts(live=False, iscsiadm_installed=None, iscsid_running=None, units={},
              initiator=InitiatorName(None, "/etc/iscsi/initiatorname.iscsi", False), initiator_text="",
              nodes=[], views=[], fstab=[], maps=[], mtus=[])
    return {fam.name: set(fam.label_names) for fam in families(f, started=0, finished=0)}


def test_alert_rules_use_only_what_isc_exports():
    doc = yaml.safe_load((REPO / "prometheus/isc-alerts.yml").read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    emitted = _emitted()
    names = {r["alert"] for r in rules}
    assert {"IscsiPathFailed", "IscsiMountMissing", "IscsiSessionNotLoggedIn"} <= names
    for r in rules:
        assert re.fullmatch(r"[A-Z][A-Za-z]+", r["alert"])
        assert re.fullmatch(r"\d+m", r["for"]) and r["labels"]["severity"] in ("warning", "critical")
        used = set(re.findall(r"\b(isc_[a-z_]+)", r["expr"]))
        assert used and used <= set(emitted), f"{r['alert']}: {used - set(emitted)} is not exported"
        selectors = re.findall(r"\b(isc_[a-z_]+)\{([^}]*)\}", r["expr"])
        for metric, inner in selectors:
            for label in re.findall(r"([a-z_]+)\s*!?=", inner):
                assert label in emitted[metric], f"{r['alert']}: {metric} has no label {label}"
        allowed = set().union(*(emitted[m] for m in used)) | {"instance", "job"}
        for text in r["annotations"].values():
            for label in re.findall(r"\$labels\.([a-z_]+)", text):
                assert label in allowed, f"{r['alert']}: annotation uses {label}, which the series lacks"
    assert next(r for r in rules if r["alert"] == "IscsiPathFailed")["for"] == "5m"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules():
    subprocess.run(["promtool", "check", "rules", str(REPO / "prometheus/isc-alerts.yml")], check=True)
