"""iscsiadm's exit codes in plain words, and isc's own codes."""

from __future__ import annotations

from iscsi_client.errors import EXIT_CODES, ISCSIADM_CODES, IscsiadmError, describe_iscsiadm_code


def test_every_iscsiadm_code_is_mapped():
    for rc in [*range(34), 255]:
        code = ISCSIADM_CODES[rc]
        assert code.meaning and code.exit_code in EXIT_CODES


def test_unknown_codes_still_get_words():
    assert "unknown exit code 77" in describe_iscsiadm_code(77).meaning


def test_auth_failure_is_its_own_exit_code():
    e = IscsiadmError(24, action="login to iqn.2003-01.org.x:y on 10.0.0.1:3260")
    assert e.exit_code == 4 and "CHAP" in e.message and "ACL" in e.message
    assert e.as_dict()["iscsiadm_rc"] == 24


def test_no_initiator_and_no_iscsid_say_how_to_fix():
    assert "modprobe iscsi_tcp" in (IscsiadmError(12, action="x").hint or "")
    assert "systemctl start iscsid" in (IscsiadmError(20, action="x").hint or "")
