"""The lab image cache cleans up after itself: images unused for 14 days and half-built trees go, the rest
stays (tests/lab/build_image.sh --prune, the step every build runs first)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "lab" / "build_image.sh"
DAY = 86400


def _image(cache: Path, name: str, age_days: float) -> Path:
    d = cache / name
    d.mkdir()
    (d / "root.img").write_bytes(b"\0" * 16)
    ready = d / "ready"
    ready.write_text("2026-01-01T00:00:00Z\n")
    t = time.time() - age_days * DAY
    os.utime(ready, (t, t))
    return d


def test_prune_removes_only_images_unused_for_two_weeks_and_dead_builds(tmp_path):
    old = _image(tmp_path, "image-0000000000000001", 15)
    recent = _image(tmp_path, "image-0000000000000002", 13)
    unfinished = tmp_path / "image-0000000000000003"  # no "ready": being moved into place, not judged
    unfinished.mkdir()
    dead_build = tmp_path / "build.AbCdEf"
    (dead_build / "rootfs").mkdir(parents=True)
    t = time.time() - 4 * 3600
    os.utime(dead_build, (t, t))
    live_build = tmp_path / "build.XyZxyz"
    live_build.mkdir()
    r = subprocess.run(["bash", str(SCRIPT), "--prune"], env={**os.environ, "ISC_LAB_CACHE": str(tmp_path)},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert f"removing {old}, unused for 14 days" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent.name, unfinished.name, live_build.name])


def test_prune_of_a_missing_cache_is_a_no_op(tmp_path):
    r = subprocess.run(["bash", str(SCRIPT), "--prune"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "ISC_LAB_CACHE": str(tmp_path / "none")})
    assert r.returncode == 0 and not (tmp_path / "none").exists()
