"""Verbatim captures of the real tools, for parser tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def reference_stdout(name: str) -> str:
    """The [stdout] section of a verbatim reference capture (tests/fixtures/reference/...)."""
    text = (FIXTURES / "reference" / name).read_text()
    if "[stdout]\n" not in text:
        return text
    body = text.split("[stdout]\n", 1)[1]
    return body.split("[stderr]\n", 1)[0]


def lab_snapshot(dest: Path, name: str = "multipath") -> Path:
    """A lab guest's snapshot (tests/fixtures/lab-root/NAME.tar.gz) unpacked under dest: the --root to use.
    Tarballs, because sysfs symlinks form cycles that tree walkers (setuptools, pip) would follow forever."""
    import tarfile

    with tarfile.open(FIXTURES / "lab-root" / f"{name}.tar.gz") as tar:
        tar.extractall(dest, filter="tar")
    return dest / name
