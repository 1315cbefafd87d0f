"""fstab editing: isc's lines in, isc's lines out, every other byte where it was."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.errors import InUseError, UsageError
from iscsi_client.parsers.fstab import (
    MARKER,
    FstabEntry,
    add_entry,
    entries,
    owned_entries,
    parse_line,
    remove_entry,
)

ENTRY = FstabEntry("UUID=0b7c1a44-7d2e-4e8a-9a53-0d5f0e3c2b11", "/srv/data", "xfs", "_netdev,nofail")
DEBIAN = """# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=1111-2222  /               ext4    errors=remount-ro 0       1
/dev/vdb1\tnone\tswap\tsw\t0\t0
tmpfs /tmp tmpfs defaults,size=1G 0 0
"""


def test_add_appends_marker_and_entry_only():
    new, changed = add_entry(DEBIAN, ENTRY, comment="iqn.2003-01.org.x:d lun 0")
    assert changed and new.startswith(DEBIAN)
    assert new[len(DEBIAN):] == ("# isc: iqn.2003-01.org.x:d lun 0\n"
                                 "UUID=0b7c1a44-7d2e-4e8a-9a53-0d5f0e3c2b11 /srv/data xfs _netdev,nofail 0 0\n")


def test_add_is_idempotent_and_remove_restores_bytes():
    once, _ = add_entry(DEBIAN, ENTRY, comment="c")
    twice, changed = add_entry(once, ENTRY, comment="c")
    assert twice == once and not changed
    back, removed, comment = remove_entry(once, "/srv/data")
    assert back == DEBIAN and removed == ENTRY and comment == "c"


def test_conflicts_are_refused_with_the_existing_line():
    with pytest.raises(InUseError, match="already has an entry for /tmp"):
        add_entry(DEBIAN, FstabEntry("UUID=abc", "/tmp", "xfs", "_netdev"), comment="c")
    with pytest.raises(InUseError, match="already mounts UUID=1111-2222"):
        add_entry(DEBIAN, FstabEntry("UUID=1111-2222", "/srv/x", "xfs", "_netdev"), comment="c")


@pytest.mark.parametrize(("entry", "needle"), [
    (FstabEntry("UUID=a", "srv", "xfs", "_netdev"), "absolute"),
    (FstabEntry("UUID=a", "/srv", "ntfs", "_netdev"), "not one of"),
    (FstabEntry("UUID=a", "/srv", "xfs", "defaults"), "_netdev"),
    (FstabEntry("UUID=a", "/srv", "xfs", "_netdev, ro"), "without spaces"),
])
def test_invalid_entries(entry, needle):
    with pytest.raises(UsageError, match=needle):
        add_entry("", entry, comment="c")


def test_spaces_in_mountpoints_are_escaped_and_read_back():
    e = FstabEntry("UUID=a", "/srv/my data", "ext4", "_netdev,nofail")
    new, _ = add_entry("", e, comment="c")
    assert "/srv/my\\040data" in new
    assert entries(new) == [e]


def test_file_without_final_newline():
    new, _ = add_entry("tmpfs /tmp tmpfs defaults 0 0", ENTRY, comment="c")
    assert new.startswith("tmpfs /tmp tmpfs defaults 0 0\n# isc: c\n")


def test_parse_line_accepts_short_forms_and_rejects_junk():
    assert parse_line("/dev/sda1 /boot ext4") == FstabEntry("/dev/sda1", "/boot", "ext4", "defaults", 0, 0)
    assert parse_line("garbage") is None and parse_line("  # c") is None and parse_line("a b c d x y") is None


lines = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=60), max_size=12)  # noqa: E501


@given(lines)
def test_any_fstab_keeps_its_lines_through_add_and_remove(body):
    text = "".join(line + "\n" for line in body)
    try:
        new, changed = add_entry(text, ENTRY, comment="iqn.2003-01.org.x:d lun 0")
    except InUseError:
        return  # the random text already used that mount point or UUID: refused, nothing to check
    if not changed:
        return
    assert new.startswith(text)
    back, removed, _ = remove_entry(new, ENTRY.mountpoint)
    if removed == ENTRY:
        assert back == text


@given(lines)
def test_parser_never_crashes(body):
    entries("\n".join(body))


@given(lines)
def test_the_entry_isc_added_is_found_as_its_own(body):
    """config dump lists isc's entries by their marker: whatever else the file holds, the one isc wrote is
    found with its target and LUN, and no entry without isc's marker is claimed."""
    text = "".join(line + "\n" for line in body)
    try:
        new, changed = add_entry(text, ENTRY, comment="iqn.2003-01.org.x:d lun 3")
    except InUseError:
        return
    owned = owned_entries(new)
    if changed:
        assert ("iqn.2003-01.org.x:d", 3, ENTRY) in owned
    assert len(owned) <= new.count(MARKER)


def _persist_many(image: str, worker: int, count: int) -> None:
    from pathlib import Path

    from iscsi_client.system.fstab import update_fstab
    from iscsi_client.system.root import Root

    root = Root(Path(image))
    for i in range(count):
        entry = FstabEntry(f"UUID=00000000-0000-4000-8000-{worker:06d}{i:06d}", f"/srv/w{worker}/{i}", "xfs",
                           "_netdev,nofail")
        update_fstab(root, lambda now, e=entry: add_entry(now, e, comment=f"iqn.2003-01.org.example:w{worker}")[0])


def test_two_processes_editing_fstab_at_once_both_land(tmp_path):
    """Two isc persists at the same moment: each edit is applied to the file as it is, under the host lock,
    so neither overwrites the other's line (without the lock most of one side's lines are lost)."""
    import multiprocessing

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/fstab").write_text(DEBIAN)
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_persist_many, args=(str(tmp_path), w, 25)) for w in (1, 2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    text = (tmp_path / "etc/fstab").read_text()
    assert text.startswith(DEBIAN)
    assert sorted(e.mountpoint for e in entries(text) if e.mountpoint.startswith("/srv/")) == sorted(
        f"/srv/w{w}/{i}" for w in (1, 2) for i in range(25))
    assert (tmp_path / "run/lock/isc.lock").exists()  # the lock lives under the root, like every path
