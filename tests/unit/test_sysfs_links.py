"""sysfs.device_path: where a /sys/class link leads, with one readlink instead of an lstat per component;
the same answer as Root.realpath on the lab's snapshots, and Root.realpath's answer where the link's text
alone cannot tell."""

from __future__ import annotations

import os

from refdata import FIXTURES, lab_snapshot

from iscsi_client.system import sysfs
from iscsi_client.system.root import Root


def test_the_same_path_as_realpath_for_every_session_of_the_lab_snapshots(tmp_path):
    checked = 0
    for tarball in sorted((FIXTURES / "lab-root").glob("*.tar.gz")):
        root = Root(lab_snapshot(tmp_path, tarball.name.removesuffix(".tar.gz")))
        base = root(sysfs.SESSION_CLASS)
        for name in sorted(os.listdir(base)) if base.is_dir() else []:
            entry = f"{sysfs.SESSION_CLASS}/{name}"
            assert sysfs.device_path(root, entry) == root.realpath(entry)
            checked += 1
    assert checked >= 2


def test_links_the_text_cannot_resolve_go_through_realpath(tmp_path):
    root = Root(tmp_path)
    devices = tmp_path / "sys/devices/platform/host7/session9/iscsi_session/session9"
    devices.mkdir(parents=True)
    cls = tmp_path / "sys/class/iscsi_session"
    cls.mkdir(parents=True)
    # an absolute link (a snapshot made by hand) is taken relative to the root by realpath
    (cls / "session9").symlink_to("/sys/devices/platform/host7/session9/iscsi_session/session9")
    want = "/sys/devices/platform/host7/session9/iscsi_session/session9"
    assert sysfs.device_path(root, f"{sysfs.SESSION_CLASS}/session9") == want
    # a class directory that is itself a link: its text alone would lead elsewhere
    real_cls = tmp_path / "sys/elsewhere/iscsi_session"
    real_cls.mkdir(parents=True)
    (real_cls / "session9").symlink_to("../../devices/platform/host7/session9/iscsi_session/session9")
    (tmp_path / "sys/class/moved").symlink_to("../elsewhere/iscsi_session")
    assert sysfs.device_path(root, "/sys/class/moved/session9") == root.realpath("/sys/class/moved/session9") == want
    # gone: realpath's answer (the path as it is)
    assert sysfs.device_path(root, "/sys/class/iscsi_session/session5") == "/sys/class/iscsi_session/session5"


def test_read_file_reads_whole_files_of_any_kind(tmp_path):
    """One read is never taken for the whole file: /proc's seq_files give a page per read (mountinfo with
    60 mounts came back as 4074 of its 6734 bytes from one read in the lab guest)."""
    big = tmp_path / "big"
    big.write_bytes(b"x" * 200_000 + b"\n")
    assert sysfs.read_file(big) == "x" * 200_000
    with open("/proc/self/mountinfo", "rb") as fh:
        assert sysfs.read_file("/proc/self/mountinfo") == fh.read().decode(errors="replace").strip()
    (tmp_path / "attr").write_bytes(b"LOGGED_IN\n")
    assert sysfs.read_file(str(tmp_path / "attr")) == "LOGGED_IN"
    (tmp_path / "bytes").write_bytes(b"caf\xe9\n")  # not UTF-8: replaced, never an exception
    assert sysfs.read_file(tmp_path / "bytes") == "caf\ufffd"
    assert sysfs.read_file(tmp_path) is None and sysfs.read_file(tmp_path / "gone") is None


def test_read_attr_answers_as_read_file_does_for_attributes_records_and_big_files(tmp_path):
    """read_attr leaves out the read that finds the end (an attribute comes whole in one read), and reads on
    when the first read fills its buffer: the answer is read_file's for every kind of file."""
    files = {"attr": b"LOGGED_IN\n", "record": b"E:ID_SERIAL=36001405abc\nS:disk/by-id/wwn-0x6001405abc\n",
             "bytes": b"caf\xe9\n", "exact": b"y" * 65536, "big": b"x" * 200_000 + b"\n", "empty": b""}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert sysfs.read_attr(tmp_path / name) == sysfs.read_file(tmp_path / name), name
    assert sysfs.read_attr(tmp_path / "big") == "x" * 200_000
    assert sysfs.read_attr(tmp_path) is None and sysfs.read_attr(tmp_path / "gone") is None
    for attr in ("/sys/kernel/mm/transparent_hugepage/enabled", "/proc/self/comm"):  # real ones, where present
        if os.path.exists(attr):
            assert sysfs.read_attr(attr) == sysfs.read_file(attr)
