"""Per-record outcomes of one iscsiadm login/logout of many records, from outputs captured in the lab guest
(tests/fixtures/lab/batch: the command, its stdout, stderr and exit code, verbatim)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.parsers.login_lines import parse_login_lines, parse_logout_lines

BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "lab" / "batch"
LAB = "iqn.2003-01.org.isc.lab"


def captured(name: str) -> tuple[str, str, int]:
    return ((BATCH / f"{name}.stdout").read_text(), (BATCH / f"{name}.stderr").read_text(),
            int((BATCH / f"{name}.rc").read_text()))


def test_loginall_with_successes_refusals_and_records_already_logged_in():
    out, err, rc = captured("loginall_mixed")
    assert rc == 15  # one code for the whole exec: the last error iscsiadm met
    results = parse_login_lines(out, err)
    ok = {(r.target, r.portal) for r in results if r.ok}
    failed = {r.target: (r.rc, r.reason) for r in results if not r.ok}
    assert len(ok) == 65  # 32 scale targets on two portals, and nolun
    assert (f"{LAB}:scale31", "127.0.0.2:3260") in ok and (f"{LAB}:nolun", "127.0.0.1:3260") in ok
    assert failed == {f"{LAB}:{t}": (24, "iSCSI login failed due to authorization failure")
                      for t in ("chap", "mutual", "noacl")}
    # the two portals of multi already had sessions: iscsiadm does not name them, so neither does the parse
    assert not any(r.target.endswith(":multi") for r in results)
    assert all(r.iface == "default" and r.sid is None for r in results)


def test_login_of_a_target_on_both_portals_and_with_one_present():
    out, err, rc = captured("login_target")
    assert rc == 0
    assert [(r.portal, r.ok) for r in parse_login_lines(out, err)] == [("127.0.0.1:3260", True),
                                                                        ("127.0.0.2:3260", True)]
    out, err, rc = captured("login_target_one_present")
    assert rc == 15 and [(r.portal, r.ok) for r in parse_login_lines(out, err)] == [("127.0.0.2:3260", True)]


def test_logouts_by_session_id():
    out, err, rc = captured("logout_target")
    assert rc == 0
    assert [(r.sid, r.portal, r.ok) for r in parse_logout_lines(out, err)] == [
        (769, "127.0.0.1:3260", True), (770, "127.0.0.2:3260", True)]
    out, err, rc = captured("logout_all")
    results = parse_logout_lines(out, err)
    assert rc == 0 and len(results) == 67 and all(r.ok for r in results)
    assert len({r.sid for r in results}) == 67
    out, err, rc = captured("logout_all_none")
    assert rc == 21 and parse_logout_lines(out, err) == []


def test_a_refused_logout_and_an_ipv6_portal():
    err = ("iscsiadm: Could not logout of [sid: 3, target: iqn.2003-01.org.x:t, portal: fd00::5,3260].\n"
           "iscsiadm: initiator reported error (9 - internal error)\n")
    (r,) = parse_logout_lines("", err)
    assert (r.sid, r.portal, r.ok, r.rc, r.reason) == (3, "[fd00::5]:3260", False, 9, "internal error")


@given(st.text(), st.text())
def test_any_text_parses_without_raising(out, err):
    for r in parse_login_lines(out, err) + parse_logout_lines(out, err):
        assert r.target and r.portal
