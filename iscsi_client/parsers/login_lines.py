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

import re

from iscsi_client.records import record

# patterns as strings: re compiles each on first use and keeps it (its cache), so a module that loads them
# pays nothing until a line is parsed (the logout's are never compiled by a login)
_LOGIN_OK = (r"Login to \[iface: (?P<iface>[^,\]]+), target: (?P<target>\S+), portal: (?P<portal>[^\]]+)\] "
             r"successful\.")
_LOGIN_FAIL = (r"iscsiadm: Could not login to \[iface: (?P<iface>[^,\]]+), target: (?P<target>\S+), "
               r"portal: (?P<portal>[^\]]+)\]\.")
_LOGOUT_OK = (r"Logout of \[sid: (?P<sid>\d+), target: (?P<target>\S+), portal: (?P<portal>[^\]]+)\] "
              r"successful\.")
_LOGOUT_FAIL = (r"iscsiadm: Could not logout of \[sid: (?P<sid>\d+), target: (?P<target>\S+), "
                r"portal: (?P<portal>[^\]]+)\]\.")
_REASON = r"iscsiadm: initiator reported error \((?P<rc>\d+) - (?P<text>.*)\)"


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


def _parse(text: str, ok: str, fail: str) -> list[RecordResult]:
    out: list[RecordResult] = []
    lines = [ln.strip() for ln in text.splitlines()]
    for i, line in enumerate(lines):
        m = re.fullmatch(ok, line) or re.fullmatch(fail, line)
        if m is None:
            continue
        g = m.groupdict()
        good = m.re.pattern == ok
        rc, reason = 0, ""
        if not good and i + 1 < len(lines) and (why := re.fullmatch(_REASON, lines[i + 1])):
            rc, reason = int(why["rc"]), why["text"]
        out.append(RecordResult(g["target"], _address(g["portal"]), g.get("iface"),
                                int(g["sid"]) if g.get("sid") else None, good, rc, reason))
    return out


def parse_login_lines(stdout: str, stderr: str) -> list[RecordResult]:
    """Each record the login reported on, successes (stdout) then failures (stderr)."""
    return _parse(stdout, _LOGIN_OK, _LOGIN_FAIL) + _parse(stderr, _LOGIN_OK, _LOGIN_FAIL)


def parse_logout_lines(stdout: str, stderr: str) -> list[RecordResult]:
    """Each session the logout reported on, by session id."""
    return _parse(stdout, _LOGOUT_OK, _LOGOUT_FAIL) + _parse(stderr, _LOGOUT_OK, _LOGOUT_FAIL)
