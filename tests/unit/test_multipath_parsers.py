"""multipath-tools outputs captured in the lab (multipath-tools 0.9.4, Debian 12)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from refdata import FIXTURES

from iscsi_client.parsers.multipath import (
    builtin_devices,
    conf_problems,
    has_device_entry,
    parse_maps_json,
    parse_wwids,
)

LAB = FIXTURES / "lab"


def test_maps_json_two_active_paths():
    (m,) = parse_maps_json((LAB / "multipathd_show_maps_json.txt").read_text())
    assert (m.wwid, m.dm, m.vendor, m.queueing, m.queue_if_no_path) == (
        "360014055a1f0c3e00014c1a9d0015c00", "dm-0", "LIO-ORG", "12 chk", True)
    assert [(p.dev, p.dm_state, p.checker_state, p.healthy) for p in m.paths] == [
        ("sda", "active", "ready", True), ("sdb", "active", "ready", True)]


def test_builtin_table_knows_lio_but_not_tgt():
    table = (LAB / "multipath_t.txt").read_text()
    assert ("(LIO-ORG|SUSE)", ".*") in builtin_devices(table)
    assert has_device_entry(table, "LIO-ORG", "multi")
    assert not has_device_entry(table, "IET", "VIRTUAL-DISK")  # a generic '.*' vendor entry does not count
    assert has_device_entry(table, "NETAPP", "LUN C-Mode")


def test_wwids_file():
    assert parse_wwids((LAB / "wwids.txt").read_text()) == {"360014055a1f0c3e00014c1a9d0015c00"}


@given(st.text())
def test_no_crash(text):
    parse_maps_json(text)
    builtin_devices(text)
    parse_wwids(text)


def test_render_registers_instead_of_relaxing_find_multipaths():
    from iscsi_client.kernel_model import BlockDevice
    from iscsi_client.ops.multipath_config import render

    local = [BlockDevice("sda", "8:0", 1 << 30, "ATA", "SSD", wwid="35000c500a1b2c3d4"),
             BlockDevice("vda", "254:0", 1 << 30)]
    text, written, builtin = render([], local, (LAB / "multipath_t.txt").read_text())
    assert 'wwid "^35000c500a1b2c3d4$"' in text and "vda" not in text
    assert "find_multipaths" not in text.split("#")[-1] and written == [] and builtin == []


def test_the_real_multipath_t_output_reads_clean_and_broken_text_does_not():
    assert conf_problems((LAB / "multipath_t.txt").read_text()) == []
    assert conf_problems('blacklist {\n\twwid "abc\n}\n') == ["line 2: unterminated quoted value"]
    assert conf_problems("blacklist {\n\twwid x\n") == ["1 section(s) not closed"]
    assert conf_problems("defaults {\n}\n}\n") == ["line 3: '}' closes nothing"]
    assert conf_problems("{\n}\n") == ["line 1: '{' without a section name"]
    assert conf_problems('devices {\n\tdevice {\n\t\tvendor "A}B" # }\n\t}\n}\n') == []


@given(st.text(min_size=1, max_size=40))
def test_any_local_wwid_is_blacklisted_exactly_or_left_out(wwid):
    """Whatever a local disk's WWID holds, the rendered file reads clean, and its blacklist entry matches that
    WWID and no other (the entry is a regular expression to multipath)."""
    from iscsi_client.kernel_model import BlockDevice
    from iscsi_client.ops.multipath_config import render

    text, _, _ = render([], [BlockDevice("sdz", "65:144", 1 << 30, "ATA", "X", wwid=wwid)], "")
    assert conf_problems(text) == []
    entries = re.findall(r'^\twwid "(.*)"$', text, re.M)
    if '"' in wwid or "\n" in wwid or "\r" in wwid:
        assert entries == []
    else:
        (pattern,) = entries
        assert re.fullmatch(pattern, wwid) and not re.fullmatch(pattern, wwid + "0")
        assert not re.fullmatch(pattern, "x" + wwid)
