"""Parsers over verbatim outputs of the real tools (tests/fixtures), plus: no text makes them crash."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from refdata import FIXTURES, reference_stdout

from iscsi_client.parsers.discoverydb import parse_discoverydb
from iscsi_client.parsers.iface import parse_ifaces
from iscsi_client.parsers.node_tree import parse_node_tree
from iscsi_client.parsers.portal_lines import parse_portal_lines
from iscsi_client.parsers.record import discovery_from_record, node_from_record, parse_record, set_record_values
from iscsi_client.parsers.session import parse_session_tree, parse_sessions

ALL_PARSERS = [parse_portal_lines, parse_record, parse_node_tree, parse_sessions, parse_session_tree,
               parse_ifaces, parse_discoverydb]


def test_sendtargets_answer_from_lio():
    found = parse_portal_lines(reference_stdout("lab/20_discovery.out"))
    assert [(str(f.target), str(f.portal)) for f in found] == [
        ("iqn.2003-01.org.linux-iscsi.guest:tgt1", "127.0.0.1:3260,1"),
        ("iqn.2003-01.org.linux-iscsi.guest:tgt1", "127.0.0.2:3260,1"),
        ("iqn.2003-01.org.linux-iscsi.guest:chap", "127.0.0.1:3260,1"),
    ]


def test_node_list_flat_with_unset_tpgt_and_ipv6():
    found = parse_portal_lines((FIXTURES / "host/node_flat.txt").read_text())
    assert [(f.portal.host, f.portal.tpgt) for f in found] == [("127.0.0.1", -1), ("fe80::1%eth0", -1)]


def test_node_tree_P1():
    rows = parse_node_tree((FIXTURES / "host/node_P1.txt").read_text())
    assert [(str(t), p.address, i) for t, p, i in rows] == [
        ("iqn.2003-01.org.linux-iscsi.lab:noauth", "127.0.0.1:3260", "default"),
        ("iqn.2003-01.org.linux-iscsi.lab:noauth", "[fe80::1%eth0]:3260", "default"),
    ]


def test_record_masked_and_shown_give_the_same_node_without_secret():
    masked = node_from_record(parse_record((FIXTURES / "host/node_record_masked.txt").read_text()))
    shown = node_from_record(parse_record((FIXTURES / "host/node_record_S.txt").read_text()))
    assert masked == shown
    assert masked is not None and masked.chap.method == "CHAP" and masked.chap.has_password
    assert "chapsecret123" not in repr(shown)


def test_lab_node_record():
    node = node_from_record(parse_record(reference_stdout("lab/22_node_record.out")))
    assert node is not None
    assert str(node.target) == "iqn.2003-01.org.linux-iscsi.guest:tgt1" and node.portal.tpgt == 1
    assert node.discovery == "send_targets"


def test_st_config():
    rec = parse_record((FIXTURES / "host/st_config.txt").read_text())
    assert rec["discovery.sendtargets.address"] == "127.0.0.1"
    assert rec["discovery.sendtargets.auth.authmethod"] == "None"


def test_sessions_flat():
    two = parse_sessions(reference_stdout("lab/35_session_two.out"))
    assert [(s.sid, s.portal.address, s.transport) for s in two] == [(1, "127.0.0.1:3260", "tcp"),
                                                                      (2, "127.0.0.2:3260", "tcp")]


def test_session_P3_one_target_line_several_portals():
    sessions = parse_session_tree(reference_stdout("lab/36_session_P3_two.out"))
    assert [(s.sid, s.portal.host, s.host, s.devices, s.recovery_tmo, s.state) for s in sessions] == [
        (1, "127.0.0.1", 6, ("sda",), 5, "LOGGED_IN"), (2, "127.0.0.2", 7, ("sdb",), 5, "LOGGED_IN")]
    assert {str(s.target) for s in sessions} == {"iqn.2003-01.org.linux-iscsi.guest:tgt1"}


def test_session_P1():
    (s,) = parse_session_tree(reference_stdout("lab/54_session_chap.out"))
    assert s.sid and str(s.target).endswith(":chap") and s.devices == ()


def test_no_sessions_message_gives_nothing():
    assert parse_sessions("iscsiadm: No active sessions.\n") == []


def test_ifaces_and_discoverydb():
    ifaces = parse_ifaces("default tcp,<empty>,<empty>,<empty>,<empty>\niser iser,<empty>,<empty>,<empty>,<empty>\n")
    assert [(i.name, i.transport, i.initiatorname) for i in ifaces] == [
        ("default", "tcp", None), ("iser", "iser", None)]
    (d,) = parse_discoverydb((FIXTURES / "host/discoverydb.txt").read_text())
    assert d.portal.address == "127.0.0.1:3260" and d.method == "sendtargets"


def test_discoverydb_prints_ipv6_without_brackets():
    v6, isns = parse_discoverydb((FIXTURES / "host/discoverydb_ipv6_isns.txt").read_text())
    assert (v6.portal.host, v6.portal.port, v6.method) == ("::1", 3261, "sendtargets")
    assert (isns.portal.address, isns.method) == ("127.0.0.1:3205", "isns")


def test_discovery_records_from_their_files():
    plain = discovery_from_record(parse_record((FIXTURES / "host/st_config.txt").read_text()))
    assert plain is not None and (plain.portal.address, plain.method, plain.auth, plain.chap_user) == (
        "127.0.0.1:3260", "sendtargets", "None", None)
    mutual = discovery_from_record(parse_record((FIXTURES / "host/st_config_mutual.txt").read_text()))
    assert mutual is not None
    assert (mutual.portal.address, mutual.auth, mutual.chap_user, mutual.mutual_user) == (
        "[::1]:3261", "CHAP", "discuser", "tgtuser")
    assert "discsecret1234" not in repr(mutual) and "tgtsecret12345" not in repr(mutual)
    # iscsiadm keeps an iSNS server's address under discovery.sendtargets.*
    isns = discovery_from_record(parse_record((FIXTURES / "host/isns_config.txt").read_text()))
    assert isns is not None and (isns.portal.address, isns.method) == ("127.0.0.1:3205", "isns")


@given(st.dictionaries(st.sampled_from(["discovery.type", "discovery.sendtargets.address",
                                        "discovery.sendtargets.port", "discovery.sendtargets.auth.authmethod",
                                        "discovery.sendtargets.auth.username"]),
                       st.one_of(st.none(), st.text(), st.sampled_from(["sendtargets", "isns", "CHAP", "::1"]))))
def test_discovery_record_from_any_values_never_crashes(rec):
    got = discovery_from_record(rec)
    assert got is None or got.method in ("sendtargets", "isns")


@given(st.text())
def test_no_parser_crashes_on_any_text(text):
    for parse in ALL_PARSERS:
        parse(text)


@given(st.lists(st.sampled_from(reference_stdout("lab/36_session_P3_two.out").splitlines()), max_size=60))
def test_session_tree_survives_shuffled_real_lines(lines):
    parse_session_tree("\n".join(lines))


STARTUP = [("node.startup", "automatic"), ("node.conn[0].startup", "automatic")]


def test_set_record_values_on_a_real_record():
    text = (FIXTURES / "host/node_record_S.txt").read_text()
    out = set_record_values(text, STARTUP)
    node = node_from_record(parse_record(out))
    assert node is not None and node.startup == "automatic" and node.conn_startup == "automatic"
    diff = [(a, b) for a, b in zip(text.splitlines(), out.splitlines(), strict=True) if a != b]
    assert [b for _, b in diff] == ["node.startup = automatic", "node.conn[0].startup = automatic"]
    assert set_record_values(out, STARTUP) == out  # converges


record_line = st.one_of(
    st.sampled_from(["node.startup = manual", "node.conn[0].startup = onboot", "# BEGIN RECORD 2.1.8",
                     "node.name = iqn.2003-01.org.example:x", "node.session.auth.password = s3cret=x", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e"
                                   "\x85\u2028\u2029"), max_size=40),
)


@given(st.lists(record_line, max_size=30), st.booleans())
def test_set_record_values_touches_only_its_keys(lines, end_marker):
    text = "\n".join([*lines, *(["# END RECORD"] if end_marker else [])]) + "\n"
    out = set_record_values(text, STARTUP)
    keys = {"node.startup", "node.conn[0].startup"}
    def mine(ln: str) -> bool:
        return "=" in ln and ln.split("=", 1)[0].strip() in keys
    others_before = [ln for ln in text.splitlines() if not mine(ln)]
    others_after = [ln for ln in out.splitlines() if not mine(ln)]
    assert others_after == others_before
    values = parse_record(out)
    assert values["node.startup"] == "automatic" and values["node.conn[0].startup"] == "automatic"
    if end_marker:
        assert out.splitlines()[-1] == "# END RECORD"
    assert set_record_values(out, STARTUP) == out
