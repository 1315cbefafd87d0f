"""Per-record outcomes of one iscsiadm login/logout of many records, from outputs captured in the lab guest
(tests/fixtures/lab/batch: the command, its stdout, stderr and exit code, verbatim)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from iscsi_client.parsers import login_lines
from iscsi_client.parsers.login_lines import RecordResult, parse_login_lines, parse_logout_lines

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


# The regular expressions the hand-written reading replaced (re was some 0.1 s of CPU in the TCG lab guest,
# beside a 64-session logout): the reading must agree with them on any text.
ORACLE = {
    "login": (r"Login to \[iface: (?P<iface>[^,\]]+), target: (?P<target>\S+), portal: (?P<portal>[^\]]+)\] "
              r"successful\.",
              r"iscsiadm: Could not login to \[iface: (?P<iface>[^,\]]+), target: (?P<target>\S+), "
              r"portal: (?P<portal>[^\]]+)\]\."),
    "logout": (r"Logout of \[sid: (?P<sid>\d+), target: (?P<target>\S+), portal: (?P<portal>[^\]]+)\] "
               r"successful\.",
               r"iscsiadm: Could not logout of \[sid: (?P<sid>\d+), target: (?P<target>\S+), "
               r"portal: (?P<portal>[^\]]+)\]\."),
}
REASON = r"iscsiadm: initiator reported error \((?P<rc>\d+) - (?P<text>.*)\)"


def oracle(text: str, kind: str) -> list[RecordResult]:
    import re

    ok, fail = ORACLE[kind]
    out: list[RecordResult] = []
    lines = [ln.strip() for ln in text.splitlines()]
    for i, line in enumerate(lines):
        m = re.fullmatch(ok, line) or re.fullmatch(fail, line)
        if m is None:
            continue
        g = m.groupdict()
        rc, reason = 0, ""
        if m.re.pattern == fail and i + 1 < len(lines) and (why := re.fullmatch(REASON, lines[i + 1])):
            rc, reason = int(why["rc"]), why["text"]
        out.append(RecordResult(g["target"], login_lines._address(g["portal"]), g.get("iface"),
                                int(g["sid"]) if g.get("sid") else None, m.re.pattern == ok, rc, reason))
    return out


# values on the edges of the patterns: separators, brackets, white space other than a space, digits that are
# decimal and some that are not, empty fields
FIRST = st.sampled_from(["default", "iface0", "7", "4096", "²", "٣", "", "a]b", "a,b", "7 ", " 7", "-1"])
TARGET = st.sampled_from(["iqn.2003-01.org.x:t", "iqn.x,y:t", "iqn\tx", "iqn\u00a0x", "", "a,", "x]", "a b", "[t]"])
PORTAL = st.sampled_from(["127.0.0.1,3260", "fd00::5,3260", "[fd00::5],3260", "", "a]b", "host", "h,p", " "])
KINDS = st.sampled_from([("Login to [iface: ", "] successful."), ("iscsiadm: Could not login to [iface: ", "]."),
                         ("Logout of [sid: ", "] successful."), ("iscsiadm: Could not logout of [sid: ", "].")])
TAIL = st.sampled_from(["] successful.", "].", "]", "] successful", "", "] successful.]", "].."])
NOISE = st.sampled_from([",", "]", "[", " ", "\t", ", ", ": ", ", target: ", ", portal: ", "x", "\u00a0"])


@st.composite
def batch_line(draw: st.DrawFn) -> str:
    """A line of a batch's output, or one near it: each field valid or on an edge of its pattern, sometimes
    another tail, sometimes a piece cut out or put in."""
    head, tail = draw(KINDS)
    if draw(st.integers(0, 3)) == 0:
        tail = draw(TAIL)
    target, portal = draw(st.sampled_from([", target: "] * 3 + [" target: ", ",target: ", ", target:"])), \
        draw(st.sampled_from([", portal: "] * 3 + [" portal: ", ",portal: ", ", portal:", "\t portal: "]))
    line = f"{head}{draw(FIRST)}{target}{draw(TARGET)}{portal}{draw(PORTAL)}{tail}"
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(NOISE) + line[at + draw(st.integers(0, 2)):]
    return line


REASON_LINE = st.builds(lambda code, text, end: f"iscsiadm: initiator reported error ({code} - {text}{end}",
                        st.sampled_from(["9", "24", "", "²", "1a", "٣", " 9"]),
                        st.sampled_from(["internal error", "", "a - b", "(x)", ")"]), st.sampled_from([")", "", "))"]))


@settings(max_examples=600)
@example(["Logout of [sid: \u00b2, target: iqn.x:t, portal: 127.0.0.1,3260] successful."])  # a digit, not decimal
@example(["Logout of [sid: \u0663, target: iqn.x:t, portal: 127.0.0.1,3260] successful."])  # decimal, Arabic-Indic
@example(["iscsiadm: Could not logout of [sid: 3, target: iqn.x:t, portal: 10.0.0.1,3260].",
          "iscsiadm: initiator reported error (\u00b2 - internal error)"])
@example(["iscsiadm: Could not login to [iface: default, target: iqn.x:t, portal: 10.0.0.1,3260].",
          "iscsiadm: initiator reported error (1a - internal error)"])
@example(["Login to [iface: a]b, target: iqn.x:t, portal: 127.0.0.1,3260] successful."])
@example(["Login to [iface: default, target: iqn\tx, portal: 127.0.0.1,3260] successful."])
@given(st.lists(st.one_of(batch_line(), batch_line(), REASON_LINE), min_size=1, max_size=4))
def test_the_reading_agrees_with_the_regular_expressions_it_replaced(lines: list[str]):
    text = "\n".join(lines)
    assert parse_login_lines(text, "") == oracle(text, "login")
    assert parse_logout_lines(text, text) == oracle(text, "logout") + oracle(text, "logout")


def test_the_module_does_not_load_re():
    import subprocess
    import sys

    code = "import sys; import iscsi_client.parsers.login_lines; print('re' in sys.modules)"
    assert subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])}).stdout.strip() == "False"
