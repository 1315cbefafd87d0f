"""Where tgt and LIO differ, from what both answered in the lab guest (tests/fixtures/lab/tgt, captured by
tests/lab/capture_tgt.py; tests/fixtures/lab-root/tgt.tar.gz, a --root snapshot by tests/lab/snapshot.py):
discovery answers, login refusals, tgt's controller LUN. isc reads each the same clear way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from refdata import FIXTURES, lab_snapshot

from iscsi_client.errors import UsageError
from iscsi_client.ops.persist import choose_device
from iscsi_client.parsers.login_lines import parse_login_lines
from iscsi_client.parsers.portal_lines import parse_portal_lines
from iscsi_client.system import blockdev
from iscsi_client.system.iscsiadm import Completed, last_line
from iscsi_client.system.root import Root

TGT = FIXTURES / "lab" / "tgt"
P = "iqn.2003-01.org.isc.lab"


def captured(name: str) -> tuple[str, str, int]:
    return ((TGT / f"{name}.stdout").read_text(), (TGT / f"{name}.stderr").read_text(),
            int((TGT / f"{name}.rc").read_text()))


def test_tgt_answers_sendtargets_with_the_asked_portal_only_and_lio_with_every_portal():
    tgt = parse_portal_lines(captured("sendtargets_tgt")[0])
    assert {t.portal.address for t in tgt} == {"127.0.0.3:3260"}
    assert sorted(str(t.target) for t in tgt) == [f"{P}:tgt-{n}" for n in ("chap", "multi", "mutual", "stores")]
    lio = parse_portal_lines(captured("sendtargets_lio")[0])
    assert sorted(t.portal.address for t in lio if str(t.target) == f"{P}:multi") == ["127.0.0.1:3260",
                                                                                     "127.0.0.2:3260"]


@pytest.mark.parametrize(("name", "rc"), [("login_acl_tgt", 19), ("login_acl_lio", 24),
                                          ("login_mutual_wrong_tgt", 19), ("login_mutual_wrong_lio", 19)])
def test_each_refusal_is_read_per_record_with_its_own_code(name, rc):
    out, err, code = captured(name)
    assert code == rc
    (r,) = parse_login_lines(out, err)
    assert not r.ok and r.rc == rc
    # the error isc shows is the line that says why, not iscsiadm's closing "Could not log into all portals"
    line = last_line(Completed(("iscsiadm",), code, out, err))
    assert line.startswith(f"initiator reported error ({rc} - ")


def test_what_iscsid_logged_tells_the_acl_refusals_apart():
    log = captured("iscsid_refusals")[0]
    assert "target not found (02/03)" in log  # tgt's answer to an initiator its ACL does not admit
    assert "initiator failed authorization with target" in log  # LIO's


def test_multipath_tools_has_an_entry_for_lio_and_none_for_tgt():
    vendors = captured("multipath_t_vendors")[0].split("\n")
    assert "(LIO-ORG|SUSE)" in vendors and not [v for v in vendors if "IET" in v]


def test_the_kernel_sees_tgts_lun_0_as_a_controller():
    out = captured("lsscsi_tgt")[0]
    assert "2:0:0:0 type 12 IET      Controller" in out and "2:0:0:1 type 0 IET      VIRTUAL-DISK" in out


# --- isc under --root over the tgt snapshot --------------------------------------------------------------
@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab_snapshot(tmp_path_factory.mktemp("lab-root"), "tgt")


def isc(snap: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", "--root", str(snap), *args], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2])


def test_status_names_the_controller_lun_and_the_disks(snap):
    r = isc(snap, "--json", "status")
    assert r.returncode == 0, r.stderr
    targets = {t["target"]: t for t in json.loads(r.stdout)["targets"]}
    assert sorted(targets) == [f"{P}:tgt-multi", f"{P}:tgt-stores"]
    for t in targets.values():
        for s in t["sessions"]:
            lun0 = s["luns"][0]
            assert (lun0["lun"], lun0["scsi_type"], lun0["inquiry"], lun0["device"]) == (
                0, "controller", "IET Controller", None)
            assert all(lun["scsi_type"] == "disk" and lun["device"]["vendor"] == "IET" for lun in s["luns"][1:])
    (stores,) = targets[f"{P}:tgt-stores"]["sessions"]
    assert [lun["device"]["size_bytes"] for lun in stores["luns"][1:]] == [64 << 20, 64 << 20, 1 << 40]
    text = isc(snap, "status").stdout
    assert "IET Controller (controller), no block device" in text


def test_persist_refuses_the_controller_and_asks_which_disk(snap):
    """persist itself needs the live host (tests/lab/test_tgt.py runs it); its choice of LUN reads files."""
    root = Root(snap)
    views = blockdev.session_views(root)
    with pytest.raises(UsageError, match=r"is a controller \(IET Controller\), not a disk"):
        choose_device(root, f"{P}:tgt-stores/0", views, single_path=False)
    with pytest.raises(UsageError, match="has LUNs 1, 2, 3"):
        choose_device(root, f"{P}:tgt-stores", views, single_path=False)
    chosen = choose_device(root, f"{P}:tgt-multi", views, single_path=False)  # its only disk, through the map
    assert (chosen.lun, chosen.multipath_wwid) == (1, "360000000000000000e00000000030001")
    assert chosen.device.startswith("/dev/dm-")


def test_doctor_reads_the_two_path_map_as_healthy(snap):
    doc = json.loads(isc(snap, "--json", "doctor", "--no-mtu").stdout)
    bad = [f for f in doc["findings"] if f["level"] in ("warning", "failure")]
    # the stores LUNs have one path each while their target has records on both portals
    assert {f["code"] for f in bad} <= {"ISC021", "ISC001", "ISC022"}, bad
    assert not [f for f in bad if f["subject"] == "360000000000000000e00000000030001"]


def test_isc_keeps_its_iet_entry_once_multipath_t_shows_it(snap):
    """multipath -t prints the configuration with isc's drop-in merged in: the IET entry isc wrote must not be
    taken for a built-in one, or every other config --write would drop it and the next write it back."""
    from iscsi_client.ops.multipath_config import render

    views = blockdev.session_views(Root(snap))
    table = (FIXTURES / "lab" / "multipath_t.txt").read_text()
    first, written, builtin = render(views, [], table)
    assert written == ["IET"] and builtin == [] and 'vendor "IET"' in first
    merged = table + first  # what multipath -t shows once the drop-in is installed
    assert render(views, [], merged)[1] == []  # not knowing its own file, isc would drop the entry
    second, written, builtin = render(views, [], merged, own=first)
    assert second == first and written == ["IET"] and builtin == []


def test_a_tgt_session_is_ready_without_a_disk_for_its_controller_lun(snap):
    """tgt's LUN 0 never gets a block device: the login's device wait must not wait for it (it did, for its
    whole timeout, on every tgt login and rescan)."""
    from iscsi_client.ops.login import devices_ready
    from iscsi_client.system import sysfs

    root = Root(snap)
    sessions = sysfs.read_sessions(root)
    assert sessions and all(any(x.kind == "controller" and x.disk is None for x in blockdev.session_luns(root, s))
                            for s in sessions)
    assert devices_ready(root, sessions)
