"""udev_monitor.parse: the properties of a datagram from udev's netlink group, and everything libudev drops
dropped too. The datagrams in tests/fixtures/lab/udev-events.json were received in the lab guest (udevd of
systemd 252) while a disk was changed and a LIO LUN logged in; the others are built as udevd's
device_monitor_send_device builds them."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.system.udev_monitor import MAGIC, UDEV_GROUP, parse

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures/lab/udev-events.json"


def datagram(props: dict[str, str], *, prefix: bytes = b"libudev\0", magic: int = MAGIC) -> bytes:
    body = b"".join(f"{k}={v}".encode() + b"\0" for k, v in props.items())
    header = (prefix + magic.to_bytes(4, "big") + (40).to_bytes(4, sys.byteorder) + (40).to_bytes(4, sys.byteorder)
              + len(body).to_bytes(4, sys.byteorder) + bytes(16))
    return header + body


EVENT = {"ACTION": "add", "DEVPATH": "/devices/platform/host2/session1/target2:0:0/2:0:0:0/block/sda",
         "SUBSYSTEM": "block", "DEVNAME": "/dev/sda", "DEVTYPE": "disk", "SEQNUM": "4242", "MAJOR": "8", "MINOR": "0"}


def test_a_datagram_from_udev_gives_its_properties():
    assert parse(datagram(EVENT), groups=UDEV_GROUP, sender_uid=0) == EVENT


def test_what_libudev_drops_is_dropped():
    good = datagram(EVENT)
    assert parse(good, groups=1, sender_uid=0) is None  # the kernel's group: before udev has run
    assert parse(good, groups=0, sender_uid=0) is None  # unicast: nobody isc trusts
    assert parse(good, groups=UDEV_GROUP, sender_uid=1000) is None  # a user's process, not udevd
    assert parse(good, groups=UDEV_GROUP, sender_uid=None) is None  # no credentials
    assert parse(good, groups=UDEV_GROUP, sender_uid=0, truncated=True) is None
    assert parse(datagram(EVENT, magic=0xCAFEFEED), groups=UDEV_GROUP, sender_uid=0) is None
    assert parse(datagram(EVENT, prefix=b"add@/dev"), groups=UDEV_GROUP, sender_uid=0) is None  # a kernel message
    assert parse(good[:31], groups=UDEV_GROUP, sender_uid=0) is None


@given(st.binary(max_size=300), st.sampled_from([0, 1, 2]), st.sampled_from([None, 0, 1000]))
def test_any_bytes_give_properties_or_none_never_an_exception(data, groups, uid):
    out = parse(data, groups=groups, sender_uid=uid)
    assert out is None or isinstance(out, dict)


@given(st.dictionaries(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=12),
                       st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=40),
                       max_size=12))
def test_properties_round_trip(props):
    assert parse(datagram({**EVENT, **props}), groups=UDEV_GROUP, sender_uid=0) == {**EVENT, **props}


def test_the_datagrams_received_in_the_lab_guest():
    captured = json.loads(CAPTURED.read_text())
    events = [parse(base64.b64decode(c["data"]), groups=c["groups"], sender_uid=c["uid"]) for c in captured]
    block = [e for e in events if e is not None and e.get("SUBSYSTEM") == "block"]
    assert block, "the capture holds block events"
    for e in block:
        assert e["ACTION"] in ("add", "change", "remove", "bind", "unbind") and e["DEVPATH"].startswith("/devices/")
        assert e["SEQNUM"].isdigit() and "USEC_INITIALIZED" in e  # what udevd adds once it has run
    kernel = [c for c in captured if c["groups"] == 1]
    assert all(parse(base64.b64decode(c["data"]), groups=c["groups"], sender_uid=c["uid"]) is None for c in kernel)
