"""What one iscsiadm login or logout of several records says about each of them.

``iscsiadm -m node -T T --login``, ``--loginall=all`` and ``-m session -u`` act on many records or sessions
in one exec (iscsid runs them side by side) and exit with ONE code; the per-record outcome is in the lines:

    Login to [iface: default, target: iqn..., portal: 127.0.0.1,3260] successful.
    iscsiadm: Could not login to [iface: default, target: iqn..., portal: 127.0.0.1,3260].
    iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)
    Logout of [sid: 7, target: iqn..., portal: 127.0.0.1,3260] successful.
    iscsiadm: Could not logout of [sid: 7, target: iqn..., portal: 127.0.0.1,3260].

A record that already has a session is reported without naming it ("default: 1 session requested, but 1
already present."), so it is simply absent here. The portal is printed as ADDRESS,PORT with a bare IPv6
address; it comes back as ``Portal.address`` (``[v6]:port``).
"""

from __future__ import annotations

from iscsi_client.records import record

# Read by hand, not with re: re (with enum) is some 0.1 s of CPU in the TCG lab guest, and a teardown loads
# this module while its 64-session logout runs, which then took that much longer (the guest's two CPUs are
# busy with iscsid, udev and the kernel). tests/unit/test_login_lines.py holds the reading to the regular
# expressions it replaced: LOGIN_OK is r"Login to \[iface: (?P<iface>[^,\]]+), target: (?P<target>\S+),
# portal: (?P<portal>[^\]]+)\] successful\.", and so on.
_LOGIN = ("Login to [", "] successful.", "iscsiadm: Could not login to [", "].")
_LOGOUT = ("Logout of [", "] successful.", "iscsiadm: Could not logout of [", "].")
_REASON = ("iscsiadm: initiator reported error (", ")")


@record
class RecordResult:
    target: str
    portal: str  # HOST:PORT, as Portal.address
    iface: str | None  # logins name the iface
    sid: int | None  # logouts name the session
    ok: bool
    rc: int = 0  # the code iscsiadm reported for this record (0 when ok; 0 if it gave none)
    reason: str = ""


def _address(printed: str) -> str:
    host, _, port = printed.strip().rpartition(",")
    if not host or not port.isdigit():
        return printed.strip()
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _between(line: str, head: str, tail: str) -> str | None:
    """What ``line`` holds between ``head`` and ``tail``, when it is exactly head + that + tail."""
    if len(line) >= len(head) + len(tail) and line.startswith(head) and line.endswith(tail):
        return line[len(head):len(line) - len(tail)]
    return None


def _fields(inner: str, first: str) -> tuple[str, str, str] | None:
    """(first field, target, portal) of "FIRST: X, target: T, portal: P": X has no comma nor ']' (a session id
    is decimal digits), T is one word (no white space), P has no ']'; None for anything else."""
    head = f"{first}: "
    value, comma, _ = inner[len(head):].partition(",")
    if not inner.startswith(head) or not comma or not value or "]" in value:
        return None
    if first == "sid" and not value.isdecimal():
        return None
    lead = f"{head}{value}, target: "
    if not inner.startswith(lead):
        return None
    rest = inner[len(lead):]
    end = next((i for i, c in enumerate(rest) if c.isspace()), len(rest))  # the word ends at white space,
    if end < 2 or rest[end - 1] != "," or not rest.startswith(" portal: ", end):  # with the comma before it
        return None
    portal = rest[end + len(" portal: "):]
    if not portal or "]" in portal:
        return None
    return value, rest[:end - 1], portal


def _reason(line: str) -> tuple[int, str] | None:
    """(code, text) of "iscsiadm: initiator reported error (CODE - TEXT)"."""
    inner = _between(line, *_REASON)
    if inner is None:
        return None
    code, sep, text = inner.partition(" - ")
    if not sep or not code or not code.isdecimal():
        return None
    return int(code), text


def _parse(text: str, words: tuple[str, str, str, str], first: str) -> list[RecordResult]:
    ok_head, ok_tail, fail_head, fail_tail = words
    out: list[RecordResult] = []
    lines = [ln.strip() for ln in text.splitlines()]
    for i, line in enumerate(lines):
        good = True
        inner = _between(line, ok_head, ok_tail)
        fields = None if inner is None else _fields(inner, first)
        if fields is None:
            good = False
            inner = _between(line, fail_head, fail_tail)
            fields = None if inner is None else _fields(inner, first)
        if fields is None:
            continue
        value, target, portal = fields
        rc, reason = 0, ""
        if not good and i + 1 < len(lines) and (why := _reason(lines[i + 1])):
            rc, reason = why
        out.append(RecordResult(target, _address(portal), value if first == "iface" else None,
                                int(value) if first == "sid" else None, good, rc, reason))
    return out


def parse_login_lines(stdout: str, stderr: str) -> list[RecordResult]:
    """Each record the login reported on, successes (stdout) then failures (stderr)."""
    return _parse(stdout, _LOGIN, "iface") + _parse(stderr, _LOGIN, "iface")


def parse_logout_lines(stdout: str, stderr: str) -> list[RecordResult]:
    """Each session the logout reported on, by session id."""
    return _parse(stdout, _LOGOUT, "sid") + _parse(stderr, _LOGOUT, "sid")
