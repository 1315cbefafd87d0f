"""The plain table scripts and logs get: aligned, whole values, nothing trailing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.output import plain_table


def test_columns_align_two_spaces_apart_without_trailing_blanks():
    text = plain_table(["TARGET", "PORTAL", "FLAGS"],
                       [["iqn.2003-01.org.isc.lab:multi", "127.0.0.1:3260", "-"],
                        ["iqn.2003-01.org.isc.lab:chap", "[fe80::1%eth0]:3260", "link-local"]])
    assert text == (
        "TARGET                         PORTAL               FLAGS\n"
        "iqn.2003-01.org.isc.lab:multi  127.0.0.1:3260       -\n"
        "iqn.2003-01.org.isc.lab:chap   [fe80::1%eth0]:3260  link-local\n"
    )


def test_no_rows_prints_the_empty_message():
    assert plain_table(["A"], [], empty="no active sessions") == "no active sessions\n"


cell = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30).filter(
    lambda s: s.strip() == s and s != "")


@given(st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=8))
def test_every_value_is_printed_whole_and_columns_start_at_the_same_offset(rows):
    lines = plain_table(["A", "B", "C"], rows).splitlines()
    assert len(lines) == len(rows) + 1
    starts = [lines[0].index("B"), lines[0].index("C")]
    for line, row in zip(lines[1:], rows, strict=True):
        assert line.startswith(row[0])
        assert line[starts[0]:].startswith(row[1])
        assert line[starts[1]:] == row[2]
