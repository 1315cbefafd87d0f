"""Names, portals and secrets: validation rules and their messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iscsi_client.errors import InvalidNameError, InvalidPortalError, InvalidSecretError, UsageError
from iscsi_client.model import Iqn, Portal, Secret, validate_chap


@pytest.mark.parametrize("name", [
    "iqn.2003-01.org.linux-iscsi.lab:noauth",
    "iqn.1993-08.org.debian:01:24595651b73b",
    "iqn.2001-04.com.example",
    "iqn.2001-04.com.example:storage.disk2.sys1.xyz",
    "eui.02004567A425678D",
    "naa.52004567BA64678D",
    "naa.62004567BA64678D0123456789ABCDEF",
])
def test_valid_names(name):
    assert str(Iqn.parse(name)) == name


def test_hex_names_are_canonical_upper_case():
    assert str(Iqn.parse("eui.02004567a425678d")) == "eui.02004567A425678D"


@pytest.mark.parametrize(("name", "needle"), [
    ("", "empty"),
    ("iqn.2003-1.org.x", "not a year-month date"),
    ("iqn.2003-00.org.x", "not a year-month date"),
    ("iqn.2003-01", "a date and a reversed domain"),
    ("iqn.2003-01.org.-x", "not a valid domain label"),
    ("iqn.2003-01.Org.x", "upper-case"),
    ("iqn.2003-01.org.x:", "nothing follows"),
    ("iqn.2003-01.org.x:a_b", "'_'"),
    ("iqn.2003-01.org.x:a b", "whitespace"),
    ("eui.0200", "exactly 16"),
    ("naa.0123456789ABCDEF01", "16 or 32"),
    ("iscsi.x", "must start with"),
    ("iqn.2003-01.org.x:" + "a" * 220, "limit is 223"),
])
def test_invalid_names_say_what_is_wrong(name, needle):
    with pytest.raises(InvalidNameError) as e:
        Iqn.parse(name)
    assert needle in e.value.message
    assert e.value.exit_code == 2


@pytest.mark.parametrize(("text", "host", "port", "tpgt"), [
    ("192.0.2.10", "192.0.2.10", 3260, None),
    ("192.0.2.10:3261", "192.0.2.10", 3261, None),
    ("192.0.2.10:3260,1", "192.0.2.10", 3260, 1),
    ("127.0.0.1:3260,4294967295", "127.0.0.1", 3260, -1),
    ("127.0.0.1:3260,-1", "127.0.0.1", 3260, -1),
    ("[2001:DB8::1]:3260", "2001:db8::1", 3260, None),
    ("[fe80::1%eth0]:3260,1", "fe80::1%eth0", 3260, 1),
    ("2001:db8::1", "2001:db8::1", 3260, None),
    ("san.example.com", "san.example.com", 3260, None),
])
def test_portals(text, host, port, tpgt):
    p = Portal.parse(text)
    assert (p.host, p.port, p.tpgt) == (host, port, tpgt)


@pytest.mark.parametrize("text", ["999.1.1.1", "10.1", "010.0.0.1:3260", "1.2.3.4.5", "192.0.2.256,1"])
def test_numeric_hosts_must_be_whole_ipv4_addresses(text):
    """A name ending in a number is an IPv4 address typed wrong: refused, not handed to the resolver (which
    would read 10.1 as 10.0.0.1 and 010 as octal)."""
    with pytest.raises(InvalidPortalError) as e:
        Portal.parse(text)
    assert "is not an IPv4 address" in e.value.message and "0 to 255" in (e.value.hint or "")


@pytest.mark.parametrize("text", ["3par.example.com", "10.0.0.1.nip.io", "san-1.example.", "localhost"])
def test_host_names_with_digits_are_still_host_names(text):
    assert Portal.parse(text).host == text


def test_portal_address_forms():
    assert Portal.parse("[2001:db8::1]").address == "[2001:db8::1]:3260"
    assert Portal.parse("10.0.0.1").address == "10.0.0.1:3260"


def test_link_local_and_loopback_flags():
    assert Portal.parse("[fe80::1%eth0]").is_link_local
    assert Portal.parse("169.254.3.4").is_link_local
    assert not Portal.parse("192.0.2.1").is_link_local
    assert Portal.parse("127.0.0.2").is_loopback


@pytest.mark.parametrize("text", ["", ":3260", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:x", "[::1",
                                  "[::1]3260", "[zz::1]:3260", "bad host:1", "10.0.0.1:3260,x"])
def test_invalid_portals(text):
    with pytest.raises(InvalidPortalError):
        Portal.parse(text)


@given(st.text(max_size=80))
def test_name_parser_never_crashes(text):
    try:
        Iqn.parse(text)
    except UsageError:
        pass


@pytest.mark.parametrize("raw", ["10.0.0.1,\u00b2", "10.0.0.1:\u0663260", "[::1]:\u00b9"])
def test_unicode_digits_are_refused_not_crashed(raw):
    """str.isdigit() accepts superscripts and other scripts' digits that int() rejects (found by hypothesis)."""
    with pytest.raises(InvalidPortalError):
        Portal.parse(raw)


@given(st.text(max_size=80))
def test_portal_parser_never_crashes(text):
    try:
        Portal.parse(text)
    except UsageError:
        pass


@given(st.from_regex(r"iqn\.(19|20)\d\d-(0[1-9]|1[0-2])(\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){1,4}(:[a-z0-9.:-]{1,30})?",
                     fullmatch=True))
def test_generated_valid_iqns_round_trip(name):
    assert str(Iqn.parse(name)) == name


def _accepted_by_the_patterns(name: str) -> bool:
    """What the iSCSI name checks took as valid when they were regular expressions (model.py checks by hand
    now, so that a login's first exec need not wait for re): the reference the hand-written checks must match."""
    import re

    kind = name[:4].lower()
    if kind in ("eui.", "naa."):
        return bool(re.match(r"^[0-9A-Fa-f]+$", name[4:])) and len(name) - 4 in ((16,) if kind == "eui." else (16, 32))
    if kind != "iqn." or name != name.lower():
        return False
    naming, sep, unique = name[4:].partition(":")
    parts = naming.split(".")
    m = re.match(r"^(\d{4})-(\d{2})$", parts[0])
    return (len(parts) >= 2 and m is not None and 1 <= int(m.group(2)) <= 12
            and all(re.match(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", label) for label in parts[1:])
            and not (sep and not unique) and re.match(r"^[a-z0-9.:-]*$", unique) is not None)


# each part of the name mostly valid, so that one bad part at a time decides (what a check gets wrong shows)
_DATES = ["2003-01", "1999-12", "2024-10"] * 3 + ["2003-13", "2003-00", "200\u00b2-01", "\u0662\u0660\u0660\u0663-01",
                                                "20031-01", "2003_01", "03-01", ""]
_LABELS = ["org", "example", "a-b", "0", "x"] * 2 + ["-a", "a-", "x_y", "\u00e9", "A", ""]
_IQN_LIKE = st.builds(
    "".join,
    st.tuples(st.sampled_from(["iqn."] * 6 + ["IQN.", "iqn"]), st.sampled_from(_DATES),
              st.lists(st.sampled_from(_LABELS), max_size=3).map(lambda labels: "".join("." + x for x in labels)),
              st.one_of(st.just(""), st.text(alphabet="az09.:-" * 3 + "_\u00e9A", max_size=10).map(lambda u: ":" + u))))
_HEX_LIKE = st.builds(lambda kind, digits, tail: kind + digits + tail,
                      st.sampled_from(["eui.", "naa.", "EUI.", "Naa."]),
                      st.sampled_from([15, 16, 31, 32]).flatmap(
                          lambda n: st.text(alphabet="0123456789abcdefABCDEF", min_size=n, max_size=n)),
                      st.sampled_from(["", "", "", "0", "g", "\u00b2", "\u0663"]))


@settings(max_examples=400)
@given(st.one_of(_IQN_LIKE, _HEX_LIKE))
def test_name_checks_agree_with_the_patterns_they_replaced(name):
    try:
        parsed = Iqn.parse(name)
    except InvalidNameError:
        assert not _accepted_by_the_patterns(name), name
    else:
        assert _accepted_by_the_patterns(name), name
        assert str(parsed) == (name if name[:4].lower() == "iqn." else name[:4].lower() + name[4:].upper())


@given(st.ip_addresses(), st.integers(1, 65535), st.one_of(st.none(), st.integers(0, 65535)))
def test_portal_round_trip(ip, port, tpgt):
    p = Portal(str(ip), port, tpgt)
    assert Portal.parse(str(p)) == p


def test_secret_never_shows_itself():
    s = Secret("topsecret12345")
    assert "topsecret" not in repr(s) + str(s) + f"{s}" + repr([s])
    assert s.reveal() == "topsecret12345"


@pytest.mark.parametrize(("secret", "ok"), [("a" * 11, False), ("a" * 12, True), ("a" * 16, True),
                                            ("a" * 17, False), ("abc def ghi jkl", False)])
def test_chap_lengths(secret, ok):
    if ok:
        validate_chap("user", Secret(secret))
    else:
        with pytest.raises(InvalidSecretError) as e:
            validate_chap("user", Secret(secret))
        assert secret not in e.value.message


def test_long_secrets_allowed_when_asked():
    validate_chap("user", Secret("a" * 40), strict_max=False)


_OCTET = st.one_of(st.integers(0, 255).map(str), st.integers(0, 300).map(str), st.integers(0, 99).map("0{}".format),
                   st.text("0123456789", min_size=1, max_size=4),
                   st.sampled_from(["", "-1", "+1", " 1", "1 ", "٣", "0x1", "1e2"]))


@given(st.one_of(st.lists(_OCTET, min_size=4, max_size=4).map(".".join),
                 st.lists(_OCTET, min_size=3, max_size=5).map(".".join), st.text(max_size=20)))
def test_ipv4_check_agrees_with_ipaddress(text):
    """isc checks IPv4 portals without importing ipaddress (30 ms of a start in the lab guest); it must accept
    and refuse exactly what ipaddress.IPv4Address does."""
    import ipaddress

    from iscsi_client.model import is_ipv4

    try:
        ipaddress.IPv4Address(text)
        expected = True
    except ValueError:
        expected = False
    assert is_ipv4(text) is expected


@given(st.ip_addresses())
def test_link_local_and_loopback_agree_with_ipaddress(ip):
    portal = Portal.parse(f"[{ip}]:3260" if ip.version == 6 else f"{ip}:3260")
    assert (portal.is_link_local, portal.is_loopback) == (ip.is_link_local, ip.is_loopback)


def test_localhost_is_loopback_and_names_are_neither():
    assert Portal.parse("localhost").is_loopback
    # a Portal made without parse (from sysfs or a record) with a host that is no address: no error
    assert not Portal("[fe80::1]", 3260).is_link_local and not Portal("x:y", 3260).is_loopback
    assert not Portal.parse("169.254.example").is_link_local and not Portal.parse("127.example.com").is_loopback
