"""Reading the node database many times in one run (connect's steps check, run and verify): a record changed
on disk between two reads is read as it is now, and a caller's copy of the settings is its own."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iscsi_client.model import Iqn
from iscsi_client.parsers.record import parse_record
from iscsi_client.system import nodedb
from iscsi_client.system.root import Root

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures/reference/lab/22_node_record.out"
TARGET = "iqn.2003-01.org.linux-iscsi.guest:tgt1"


def record_text() -> str:
    """The record as `iscsiadm -m node -T ... -p ...` printed it in the lab (what the record file holds)."""
    out = REFERENCE.read_text().split("[stdout]\n", 1)[1]
    return out.split("\n[", 1)[0]


def test_a_record_changed_between_reads_is_read_again(tmp_path):
    path = tmp_path / f"etc/iscsi/nodes/{TARGET}/127.0.0.1,3260,1/default"
    path.parent.mkdir(parents=True)
    path.write_text(record_text())
    root = Root(tmp_path)
    first = nodedb.read_nodes(root, target=Iqn.parse(TARGET))
    assert [n.startup for n in first] == ["manual"]
    # iscsiadm -o update rewrites the file in place: the same length, another value
    path.write_text(record_text().replace("node.startup = manual", "node.startup = onboot"))
    assert [n.startup for n in nodedb.read_nodes(root)] == ["onboot"]
    (_, settings), = nodedb.read_records(root)
    settings["node.startup"] = "changed by a caller"
    (_, again), = nodedb.read_records(root)
    assert again["node.startup"] == "onboot"


def test_records_are_listed_in_order_with_their_iface_and_flat_ones_without(tmp_path):
    base = tmp_path / "etc/iscsi/nodes"
    text = record_text()
    for rel in (f"{TARGET}/127.0.0.2,3260,1/iface-b", f"{TARGET}/127.0.0.2,3260,1/default", f"{TARGET}/10.0.0.1,3260",
                "iqn.2003-01.org.example:a/127.0.0.1,3260,1/default"):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    (base / "stray-file").write_text("not a target directory")
    found = [(str(p.relative_to(base)), iface) for p, iface in nodedb.record_files(base)]
    assert found == [
        ("iqn.2003-01.org.example:a/127.0.0.1,3260,1/default", "default"),
        (f"{TARGET}/10.0.0.1,3260", None),
        (f"{TARGET}/127.0.0.2,3260,1/default", "default"),
        (f"{TARGET}/127.0.0.2,3260,1/iface-b", "iface-b"),
    ]


KEYS = ("node.startup", "node.conn[0].startup")


def test_record_values_reads_each_records_keys_with_its_target_and_skips_what_is_no_target(tmp_path):
    base = tmp_path / "etc/iscsi/nodes"
    text = record_text()
    layout = {f"{TARGET}/127.0.0.1,3260,1/default": text,
              f"{TARGET}/10.0.0.1,3260": text.replace("node.startup = manual", "node.startup = automatic"),
              "iqn.2003-01.org.example:a/127.0.0.1,3260,1/default":
                  text.replace("node.conn[0].startup = manual", "node.conn[0].startup = <empty>"),
              "not an iscsi name/127.0.0.1,3260,1/default": text}
    for rel, body in layout.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(body)
    got = nodedb.record_values(Root(tmp_path), KEYS)
    assert [(str(t), v) for t, v in got] == [
        ("iqn.2003-01.org.example:a", {"node.startup": "manual", "node.conn[0].startup": None}),
        (TARGET, {"node.startup": "automatic", "node.conn[0].startup": "manual"}),
        (TARGET, {"node.startup": "manual", "node.conn[0].startup": "manual"}),
    ]
    assert nodedb.record_values(Root(tmp_path / "empty"), KEYS) == []


_line = st.one_of(
    st.sampled_from([*KEYS, "node.startupx", "node.conn[0].startup_extra", "node.name", "# node.startup"]).flatmap(
        lambda k: st.tuples(st.sampled_from(["", " ", "\t"]), st.just(k), st.sampled_from([" = ", "=", " =", " "]),
                            st.sampled_from(["manual", "automatic", "onboot", "<empty>", "", " manual "]))
        .map(lambda p: "".join(p))),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
            max_size=30))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, max_size=12))
def test_record_values_agree_with_the_whole_records_parse(tmp_path, lines):
    path = tmp_path / f"etc/iscsi/nodes/{TARGET}/127.0.0.1,3260,1/default"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(lines)
    path.write_text(body)
    whole = parse_record(body)
    assert nodedb.record_values(Root(tmp_path), KEYS) == [(Iqn.parse(TARGET), {k: whole.get(k) for k in KEYS})]
