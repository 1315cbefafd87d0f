"""Lab tests: a real kernel (QEMU guest) with LIO targets, open-iscsi, udev and multipathd.

The image is built once and cached (tests/lab/build_image.sh). One guest boots per run and its state is saved
(VM state inside a qcow2 disk); each test module resumes its own copy of it, so every module starts from a
pristine guest in a few seconds instead of a 30 s boot. isc runs inside the guest from the working tree (a
site dir on a read-only 9p share, unpacked on the guest's disk).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import vm
from labtargets import CHAP_SECRET, CHAP_USER, INITIATOR, MULTI, MULTI_SECRET_FILE

pytestmark = pytest.mark.lab


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root"
    for tool in ("qemu-system-x86_64", "qemu-img", "mmdebstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture(scope="session")
def lab_image() -> Path:
    why = _missing()
    if why:
        if os.environ.get("ISC_REQUIRE_LAB") == "1":
            pytest.fail(f"lab tests required but {why}")
        pytest.skip(why)
    return vm.build_image()


@pytest.fixture(scope="session")
def lab_share() -> Iterator[Path]:
    share = vm.site_dir()
    yield share
    shutil.rmtree(share, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_saved(lab_image: Path, lab_share: Path) -> Iterator[Path]:
    """A disk with the state of a booted guest whose lab target is ready."""
    g = vm.Guest(lab_image, share=lab_share)
    try:
        g.start()
        yield g.save(lab_share.parent / f"{lab_share.name}-saved.qcow2")
    finally:
        g.cleanup()
        (lab_share.parent / f"{lab_share.name}-saved.qcow2").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def guest(lab_image: Path, lab_share: Path, lab_saved: Path) -> Iterator[vm.Guest]:
    g = vm.Guest(lab_image, share=lab_share, saved=lab_saved)
    try:
        g.start()
        yield g
    finally:
        g.cleanup()


@pytest.fixture(scope="module")
def chap_on_multi(guest: vm.Guest) -> vm.Guest:
    """The two-portal target asks for CHAP (its ACL gets the lab's user), like the CHAP target does; the
    secret is in MULTI_SECRET_FILE (root only)."""
    acl = f"/iscsi/{MULTI}/tpg1/acls/{INITIATOR}"
    guest.run(f"targetcli {acl} set auth userid={CHAP_USER} password={CHAP_SECRET} && "
              f"targetcli /iscsi/{MULTI}/tpg1 set attribute authentication=1").check()
    # and at every boot of this guest (the lab restores its targets from this file before open-iscsi starts)
    guest.run(f"targetcli saveconfig /root/lab.json >/dev/null && sed 's/{INITIATOR}/@INITIATOR@/g' /root/lab.json "
              "> /usr/local/share/isc-lab/lab-targets.json").check()
    guest.run(f"umask 077 && printf '%s\\n' {CHAP_SECRET} > {MULTI_SECRET_FILE}").check()
    return guest


# Module order for the two workers of `pytest -n 2 --dist loadfile` (tests/run-all.sh): the longest first, so
# the last module to start is a short one and both guests finish close together. Ranked by a run with two
# guests side by side (test_faults 645 s down to test_secrets_audit 121 s); a module not named here runs last.
LONGEST_FIRST = ("test_faults", "test_flow", "test_tgt", "test_connect", "test_fleet", "test_multipath",
                 "test_devices", "test_persist", "test_scale", "test_doctor", "test_tune_bench", "test_demo",
                 "test_firmware", "test_secrets_audit")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.path.stem
        if item.path.parent.name != "lab":
            return -1
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)
