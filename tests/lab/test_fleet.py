"""The fleet engines on the managed host itself: Debian's ansible-core runs the collection's example
playbook (connection local) against the two-portal LIO target with CHAP from Ansible Vault, and Debian's
prometheus-node-exporter serves isc's textfile, refreshed by the shipped systemd units."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fleet import install, vault
from fleet import playbook as run_playbook
from guest_state import start_cmdlines, state, stop_cmdlines
from labtargets import CHAP_SECRET, MULTI
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.lab

MOUNT = "/srv/data"
WRONG = "wrongsecret123"


@pytest.fixture(scope="module")
def fleet(chap_on_multi, lab_share: Path):
    """The collection and a copy of its examples in the guest, the CHAP secret in an encrypted vault."""
    install(chap_on_multi, lab_share, CHAP_SECRET)
    return chap_on_multi


def playbook(guest, *flags: str, sample: bool = False):
    """The example playbook; with ``sample``, every process's command line is read from /proc while it
    runs (into /root/cmdlines)."""
    if sample:
        start_cmdlines(guest)
    r, elapsed = run_playbook(guest, *flags)
    if sample:
        stop_cmdlines(guest)
    return r, elapsed


def recap(output: str) -> dict[str, int]:
    m = re.search(r"isc-lab\s*:\s*(.*)", output.split("PLAY RECAP", 1)[1])
    assert m, output
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


def test_check_mode_on_a_pristine_guest_reports_changes_and_changes_nothing(fleet):
    before = state(fleet, (MOUNT,))
    r, _ = playbook(fleet, "--check", "--diff")
    assert r.rc == 0, r.stdout + r.stderr
    assert recap(r.stdout)["changed"] == 1 and recap(r.stdout)["failed"] == 0
    assert state(fleet, (MOUNT,)) == before


def test_first_run_mounts_through_the_map_second_changes_nothing(fleet):
    r, _ = playbook(fleet, sample=True)
    assert r.rc == 0, r.stdout + r.stderr
    assert recap(r.stdout)["changed"] == 1
    source = fleet.run(f"findmnt -rn -o SOURCE {MOUNT}").stdout.strip()
    assert source.startswith("/dev/mapper/"), source
    assert fleet.run("multipath -ll").stdout.count("active ready running") == 2
    wwid = source.removeprefix("/dev/mapper/")
    fstab = fleet.run("cat /etc/fstab").stdout
    assert f"/dev/disk/by-id/dm-uuid-mpath-{wwid} {MOUNT} xfs _netdev,nofail 0 0\n" in fstab
    sampled = fleet.run("cat /root/cmdlines").stdout
    assert "connect 127.0.0.1 127.0.0.2" in sampled and "--password-file" in sampled  # isc was caught running
    assert CHAP_SECRET not in sampled  # not ansible's, the module's, isc's or iscsiadm's
    r2, _ = playbook(fleet)
    assert r2.rc == 0 and recap(r2.stdout)["changed"] == 0, r2.stdout


def test_node_exporter_serves_isc_metrics_and_a_failed_path_flips_the_gauge(fleet):
    wwid = fleet.run(f"findmnt -rn -o SOURCE {MOUNT}").stdout.strip().removeprefix("/dev/mapper/")
    fleet.isc("metrics", "install").check()
    assert fleet.run("systemctl is-enabled isc-metrics.timer").stdout.strip() == "enabled"
    assert fleet.run("systemctl is-active isc-metrics.timer").stdout.strip() == "active"

    def scrape() -> dict[tuple[str, frozenset], float]:
        fleet.run("systemctl start isc-metrics.service").check()  # one refresh, as the timer runs it
        text = fleet.run("curl -sf localhost:9100/metrics").check().stdout
        return {(s.name, frozenset(s.labels.items())): s.value
                for fam in text_string_to_metric_families(text) if fam.name.startswith("isc_") for s in fam.samples}

    got = scrape()
    assert got[("isc_multipath_paths", frozenset({("map", wwid), ("state", "active")}))] == 2
    assert got[("isc_multipath_paths", frozenset({("map", wwid), ("state", "failed")}))] == 0
    assert got[("isc_mount_present", frozenset({("mountpoint", MOUNT)}))] == 1
    assert got[("isc_node_logged_in", frozenset({("target", MULTI), ("portal", "127.0.0.2:3260"),
                                                 ("startup", "automatic")}))] == 1
    assert fleet.run("stat -c %a /var/lib/prometheus/node-exporter/isc.prom").stdout.strip() == "644"
    # cut the 127.0.0.2 path: remove the portal on the target and kill the established connection
    fleet.run(f"targetcli /iscsi/{MULTI}/tpg1/portals delete 127.0.0.2 3260 && "
              "ss -K dst 127.0.0.2 dport = 3260").check()
    try:
        fleet.run("timeout 60 sh -c 'until multipath -ll | grep -q failed; do sleep 1; done'").check()
        got = scrape()
        assert got[("isc_multipath_paths", frozenset({("map", wwid), ("state", "active")}))] == 1
        assert got[("isc_multipath_paths", frozenset({("map", wwid), ("state", "failed")}))] == 1
        assert got[("isc_mount_present", frozenset({("mountpoint", MOUNT)}))] == 1  # through the other path
    finally:
        fleet.run(f"targetcli /iscsi/{MULTI}/tpg1/portals create 127.0.0.2 3260").check()
    fleet.run("timeout 90 sh -c 'until [ $(multipath -ll | grep -c \"active ready running\") = 2 ]; "
              "do sleep 1; done'").check()
    assert scrape()[("isc_multipath_paths", frozenset({("map", wwid), ("state", "failed")}))] == 0
    assert "ExecStart=/usr/local/bin/isc metrics" in fleet.run("systemctl cat isc-metrics.service").stdout


def test_absent_leaves_nothing_then_a_wrong_secret_fails_with_isc_message(fleet):
    r, _ = playbook(fleet, "-e", "iscsi_state=absent")
    assert r.rc == 0 and recap(r.stdout)["changed"] == 1, r.stdout + r.stderr
    assert fleet.run("iscsiadm -m session").rc == 21  # no active sessions
    assert fleet.run("ls /sys/class/scsi_disk/").stdout.strip() == ""
    assert "No devices found" in fleet.run("dmsetup ls").stdout
    assert MOUNT not in fleet.run("cat /etc/fstab").stdout
    assert MULTI not in fleet.run("iscsiadm -m node").stdout  # forgotten (the other targets found stay)

    vault(fleet, WRONG)
    try:
        r, _ = playbook(fleet, "-vvv", sample=True)
        out = r.stdout + r.stderr
        assert r.rc == 2 and recap(r.stdout)["failed"] == 1, out
        assert "login" in out and ("CHAP" in out or "authorization" in out.lower()), out
        sampled = fleet.run("cat /root/cmdlines").stdout
        for secret in (WRONG, CHAP_SECRET):
            assert secret not in out and secret not in sampled
    finally:
        vault(fleet, CHAP_SECRET)
    r, _ = playbook(fleet, "-e", "iscsi_state=absent")
    assert r.rc == 0, r.stdout + r.stderr
