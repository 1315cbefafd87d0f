"""Names read from sysfs by hand (re, with enum, is some 65 ms of a start in the TCG lab guest): each check
agrees with the regular expression it replaced, on the kernel's ASCII names and on near misses."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from iscsi_client.system.blockdev import hctl_lun, unescape_mount_field
from iscsi_client.system.sysfs import host_number

_digits = st.text(alphabet="0123456789", min_size=0, max_size=4)
_piece = st.one_of(_digits, st.sampled_from(["", "x", "-1", "+1", " 1", "1 ", "٣", "²", "0x1"]))


@settings(max_examples=500)
@given(parts=st.lists(_piece, min_size=1, max_size=6), sep=st.sampled_from([":", ":", "::", "-"]))
def test_a_scsi_name_is_h_c_t_l_exactly_as_the_pattern_said(parts: list[str], sep: str) -> None:
    name = sep.join(parts)
    m = re.fullmatch(r"(\d+):(\d+):(\d+):(\d+)", name, re.ASCII)
    assert hctl_lun(name) == (int(m.group(4)) if m else None)


def test_hctl_examples() -> None:
    assert [hctl_lun(n) for n in ("2:0:0:0", "7:0:0:12", "target2:0:0", "2:0:0", "2:0:0:0:0", "power")] == \
        [0, 12, None, None, None, None]


_component = st.one_of(
    st.builds(lambda k, d, tail: f"{k}{d}{tail}", st.sampled_from(["host", "session"]),
              st.text(alphabet="0123456789", max_size=2), st.sampled_from(["", "", "", "x"])),
    st.builds(lambda k, d: f"{k}{d}", st.sampled_from(["hos", "target", "Host", "sessio"]), _digits),
    st.sampled_from(["devices", "platform", "iscsi_session", "", "."]))


@settings(max_examples=1000)
@given(parts=st.lists(_component, max_size=6), absolute=st.booleans())
def test_the_sessions_host_is_the_first_host_before_a_session_as_the_pattern_said(parts: list[str],
                                                                                   absolute: bool) -> None:
    path = ("/" if absolute else "") + "/".join(parts)
    m = re.search(r"/host(\d+)/session\d+", path, re.ASCII)
    assert host_number(path) == (int(m.group(1)) if m else None)


def test_host_number_of_a_real_path() -> None:
    real = "/sys/devices/platform/host3/session7/iscsi_session/session7"
    assert host_number(real) == 3
    assert host_number("/sys/devices/virtual/iscsi_session/session7") is None


@settings(max_examples=300)
@given(field=st.text(alphabet="ab /\\01234567\t", max_size=20))
def test_a_mount_field_unescapes_as_before(field: str) -> None:
    assert unescape_mount_field(field) == re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
