"""Which iscsiadm commands write the node database, and the empty records a write that ran out of room
leaves (iscsiadm exits 0 then: tests/host/test_full_etc.py shows it with the real iscsiadm)."""

from __future__ import annotations

import pytest

from iscsi_client.errors import IscError
from iscsi_client.model import Secret
from iscsi_client.system import dbspace
from iscsi_client.system.root import Root


@pytest.mark.parametrize(("args", "writes", "adds"), [
    (["-m", "discovery", "-t", "st", "-p", "10.0.0.1:3260", "-o", "new"], True, True),
    (["-m", "discovery", "-t", "st", "-p", "10.0.0.1:3260"], True, True),  # stores what it finds by default
    (["-m", "discovery", "-t", "st", "-p", "10.0.0.1", "-o", "nonpersistent"], False, True),
    (["-m", "discoverydb", "-t", "st", "-p", "10.0.0.1", "-o", "delete"], False, False),
    (["-m", "node", "-T", "iqn.2003-01.org.example:d", "-o", "new"], True, True),
    (["-m", "node", "-o", "update", "-n", "node.session.auth.password", "-v", Secret("s3cret")], True, False),
    (["-m", "node", "-T", "iqn.2003-01.org.example:d", "--login"], False, False),
    (["-m", "session", "-u"], False, False),
    (["-m", "iface", "-I", "x", "-o", "new"], True, True),
])
def test_what_writes_the_database(args, writes, adds):
    assert dbspace.writes_records(args) is writes
    assert dbspace.adds_records(args) is adds


def test_records_left_empty_by_a_write_are_named_and_old_ones_are_not(tmp_path):
    root = Root(tmp_path)
    rec = tmp_path / "etc/iscsi/nodes/iqn.2003-01.org.example:d/10.0.0.1,3260,1"
    rec.mkdir(parents=True)
    (rec / "default").write_text("node.name = iqn.2003-01.org.example:d\n")
    (rec / "old").write_text("")
    before = set(dbspace.left_empty(root))
    dbspace.check_not_left_empty(root, before)  # nothing new: quiet
    st = tmp_path / "etc/iscsi/send_targets/10.0.0.1,3260"
    st.mkdir(parents=True)
    (st / "st_config").write_text("")
    (st / "iqn.2003-01.org.example:d,10.0.0.1,3260,1,default").symlink_to(rec)
    (rec / "lab").write_text("")
    with pytest.raises(IscError) as e:
        dbspace.check_not_left_empty(root, before)
    assert "and 1 more empty" in e.value.message and "No space left on device" in e.value.message
    assert "old" not in e.value.message
