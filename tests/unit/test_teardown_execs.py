"""What a teardown of many targets runs: the maps and records it reads decide between one command for all
and one per map or target (tests/lab/test_scale.py runs both against 32 real targets)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from refdata import FIXTURES

from iscsi_client.model import Iqn
from iscsi_client.ops.startup import set_startup_of_targets
from iscsi_client.startup_mode import Startup
from iscsi_client.system import multipath
from iscsi_client.system.iscsiadm import Iscsiadm
from iscsi_client.system.root import Root

MULTI = Iqn.parse("iqn.2003-01.org.isc.lab:multi")
CHAP = Iqn.parse("iqn.2003-01.org.isc.lab:chap")


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURES / "lab-root" / "multipath.tar.gz") as tar:
        tar.extractall(tmp_path, filter="tar")
    return tmp_path / "multipath"


def _startups(snap: Path, target: Iqn) -> set[str]:
    return {line for rec in (snap / "etc/iscsi/nodes" / str(target)).rglob("default")
            for line in rec.read_text().splitlines() if "startup = " in line}


def test_map_names_are_every_multipath_map_the_kernel_has(snap):
    assert multipath.map_names(Root(snap)) == {(snap / "sys/class/block/dm-0/dm/name").read_text().strip()}
    assert multipath.map_names(Root(snap / "nothing")) == set()


def test_startup_of_targets_changes_only_their_records_and_converges(snap):
    for target in (MULTI, CHAP):
        for rec in (snap / "etc/iscsi/nodes" / str(target)).rglob("default"):
            rec.write_text(rec.read_text().replace("startup = manual", "startup = automatic"))
    root = Root(snap)
    adm = Iscsiadm(root)
    assert set_startup_of_targets(root=root, adm=adm, targets=[MULTI], mode=Startup.MANUAL) == [MULTI]
    assert _startups(snap, MULTI) == {"node.startup = manual", "node.conn[0].startup = manual"}
    assert _startups(snap, CHAP) == {"node.startup = automatic", "node.conn[0].startup = automatic"}
    # a second run has nothing to change, and names nothing
    assert set_startup_of_targets(root=root, adm=adm, targets=[MULTI], mode=Startup.MANUAL) == []


def test_startup_of_targets_by_value_and_nothing_loaded_when_every_record_has_it(snap):
    """A teardown passes "manual" beside its logout: with every record manual already it reads the startup
    lines and loads nothing else (enum, node_settings); a record that differs is set as with Startup.MANUAL."""
    import subprocess
    import sys

    code = ("import sys\nfrom iscsi_client.model import Iqn\nfrom iscsi_client.system.root import Root\n"
            "from iscsi_client.system.iscsiadm import Iscsiadm\nfrom iscsi_client.ops.startup import "
            "set_startup_of_targets\nroot = Root(sys.argv[1])\n"
            "got = set_startup_of_targets(root=root, adm=Iscsiadm(root), targets=[Iqn.parse(sys.argv[2])], "
            "mode='manual')\nprint(got, [m for m in ('enum', 're', 'iscsi_client.ops.node_settings', "
            "'iscsi_client.startup_mode') if m in sys.modules])")
    run = [sys.executable, "-S", "-c", code, str(snap), str(MULTI)]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    assert _startups(snap, MULTI) == {"node.startup = manual", "node.conn[0].startup = manual"}
    r = subprocess.run(run, capture_output=True, text=True, env=env)
    assert r.stdout.strip() == "[] []", r.stderr
    for rec in (snap / "etc/iscsi/nodes" / str(MULTI)).rglob("default"):
        rec.write_text(rec.read_text().replace("node.startup = manual", "node.startup = automatic"))
    r = subprocess.run(run, capture_output=True, text=True, env=env)
    assert r.stdout.startswith(f"[Iqn(value='{MULTI}')] "), r.stdout + r.stderr
    assert _startups(snap, MULTI) == {"node.startup = manual", "node.conn[0].startup = manual"}


def test_startup_modes_are_the_enums_and_nothing_else_is_taken(snap):
    from iscsi_client.ops.startup import MODES, startup_todo

    assert MODES == tuple(m.value for m in Startup)
    with pytest.raises(ValueError, match="not a node.startup mode: 'Manual'"):
        startup_todo(Root(snap), [MULTI], "Manual")
    assert startup_todo(Root(snap), [MULTI], "manual") == ([], False)
    assert startup_todo(Root(snap), [MULTI], Startup.AUTOMATIC) == ([MULTI], False)
