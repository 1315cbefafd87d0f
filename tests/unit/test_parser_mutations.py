"""Outputs of the real tools that isc parses, mutated (lines cut, repeated or truncated, fields added,
states from another release or another locale's words): the parsers never raise, and a state they do
not know is shown as the tool printed it, not dropped or replaced. Part of issue 16."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from refdata import FIXTURES, reference_stdout

from iscsi_client.parsers.discoverydb import parse_discoverydb
from iscsi_client.parsers.iface import parse_ifaces
from iscsi_client.parsers.multipath import parse_maps_json, parse_wwids
from iscsi_client.parsers.node_tree import parse_node_tree
from iscsi_client.parsers.portal_lines import parse_portal_lines
from iscsi_client.parsers.record import discovery_from_record, node_from_record, parse_record
from iscsi_client.parsers.session import parse_session_tree, parse_sessions

CAPTURES: list[tuple[str, Callable[[str], object]]] = [
    (reference_stdout("lab/35_session_two.out"), parse_sessions),
    (reference_stdout("lab/36_session_P3_two.out"), parse_session_tree),
    (reference_stdout("lab/20_discovery.out"), parse_portal_lines),
    (reference_stdout("lab/21_node_list.out"), parse_portal_lines),
    (reference_stdout("lab/22_node_record.out"), lambda t: node_from_record(parse_record(t))),
    (reference_stdout("lab/22_node_record.out"), lambda t: discovery_from_record(parse_record(t))),
    (reference_stdout("lab/22_node_record.out"), parse_node_tree),
    (reference_stdout("lab/22_node_record.out"), parse_discoverydb),
    (reference_stdout("lab/22_node_record.out"), parse_ifaces),
    ((FIXTURES / "lab" / "multipathd_show_maps_json.txt").read_text(), parse_maps_json),
    ((FIXTURES / "lab" / "wwids.txt").read_text(), parse_wwids),
]
WORDS = ["LOGGED_IN", "FAILED", "FREE", "ANGEMELDET", "conectado", "TRANSPORT_WAIT", "", "\u00e9tat", "=", ":",
         "Target:", "Current Portal:", "node.name =", "\t", "(non-flash)", "{", "}", '"dm_st" : "ghost",']


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Callable[[str], object]]:
    text, parse = draw(st.sampled_from(CAPTURES))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["cut", "repeat", "extra", "word", "truncate"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "cut":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "extra":
            lines[i] = lines[i].rstrip("\n") + " " + draw(st.sampled_from(WORDS)) + "\n"
        elif op == "word":
            for known in ("LOGGED_IN", "LOGGED IN", "active", "running", "ready"):
                if known in lines[i]:
                    lines[i] = lines[i].replace(known, draw(st.sampled_from(WORDS)), 1)
                    break
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "".join(lines), parse


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_mutated_real_outputs_never_crash_a_parser(case):
    text, parse = case
    parse(text)


def test_an_unknown_session_state_is_shown_as_printed():
    text = reference_stdout("lab/36_session_P3_two.out").replace(
        "iSCSI Session State: LOGGED_IN", "iSCSI Session State: TRANSPORT_WAIT", 1)
    states = [s.state for s in parse_session_tree(text)]
    assert states == ["TRANSPORT_WAIT", "LOGGED_IN"]


def test_an_unknown_path_state_is_kept():
    text = (FIXTURES / "lab" / "multipathd_show_maps_json.txt").read_text().replace(
        '"chk_st" : "ready"', '"chk_st" : "i/o pending"', 1)
    (m,) = parse_maps_json(text)
    assert [p.checker_state for p in m.paths] == ["i/o pending", "ready"]
    assert not m.paths[0].healthy  # unknown is not taken for healthy
