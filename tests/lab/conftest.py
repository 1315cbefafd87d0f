"""Lab tests: a real kernel (QEMU guest) with LIO targets, open-iscsi, udev and multipathd.

The image is built once and cached (tests/lab/build_image.sh); each test module boots its own guest on a
throwaway overlay, so every module starts from a pristine disk. isc runs inside the guest from the working
tree (a site dir on a read-only 9p share).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import vm

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


@pytest.fixture(scope="module")
def guest(lab_image: Path, lab_share: Path) -> Iterator[vm.Guest]:
    g = vm.Guest(lab_image, share=lab_share)
    try:
        g.start()
        yield g
    finally:
        g.cleanup()
