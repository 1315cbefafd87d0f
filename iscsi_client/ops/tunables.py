"""The settings ``isc tune`` shows and changes: their record names, the ranges open-iscsi accepts, the
profiles, and why each value. Pure data and checks: nothing here reads the host.

Ranges are open-iscsi's own (usr/idbm.c and the kernel's libiscsi): cmds_max is a power of two from 2
to 2048 (libiscsi rounds anything else down and warns), queue_depth 1 to 1024, nr_sessions 1 to 256 (isc's
bound: each session is a SCSI host with its own devices)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from iscsi_client.errors import UsageError
from iscsi_client.records import record

DIGESTS = ("None", "CRC32C", "CRC32C,None", "None,CRC32C")
MULTIPATH_REPLACEMENT_TIMEOUT = "5"  # seconds: a lost path fails its I/O over to the others this soon


@record
class Tunable:
    name: str  # the short name isc uses: queue_depth
    setting: str  # the node record setting: node.session.queue_depth
    default: str  # open-iscsi's built-in default, used when iscsid.conf does not set one
    about: str  # what it does, one line
    low: int | None = None
    high: int | None = None
    power_of_two: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""

    def check(self, value: str) -> str:
        """The value in the form iscsiadm takes, or a UsageError naming the range (exit 2, nothing runs)."""
        if self.choices:
            for choice in self.choices:
                if value.lower() == choice.lower():
                    return choice
            raise UsageError(f"{self.name} is one of {', '.join(self.choices)}; {value!r} is not",
                             hint=f"e.g. isc tune TARGET --set {self.name}={self.choices[0]}")
        if not (value.isascii() and value.isdigit()):
            raise UsageError(f"{self.name} is a whole number from {self.low} to {self.high}; {value!r} is not",
                             hint=f"e.g. isc tune TARGET --set {self.name}={self.default}")
        n = int(value)
        assert self.low is not None and self.high is not None
        if not self.low <= n <= self.high:
            raise UsageError(f"{self.name} {n} is out of range: {self.low} to {self.high}{self.unit_words}")
        if self.power_of_two and n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise UsageError(f"{self.name} {n} is not a power of two (the kernel would use {lower})",
                             hint=f"use {lower} or {lower * 2}")
        return str(n)

    @property
    def unit_words(self) -> str:
        return f" {self.unit}" if self.unit else ""


TUNABLES: tuple[Tunable, ...] = (
    Tunable("replacement_timeout", "node.session.timeo.replacement_timeout", "120",
            "how long a lost session holds I/O before failing it (the session's recovery_tmo)", 0, 86400,
            unit="s"),
    Tunable("noop_out_interval", "node.conn[0].timeo.noop_out_interval", "5",
            "seconds between NOP-Out pings that notice a dead connection (0: no pings)", 0, 3600, unit="s"),
    Tunable("noop_out_timeout", "node.conn[0].timeo.noop_out_timeout", "5",
            "seconds a NOP-Out may go unanswered before the connection counts as lost", 0, 3600, unit="s"),
    Tunable("cmds_max", "node.session.cmds_max", "128",
            "commands outstanding per session, all LUNs together", 2, 2048, power_of_two=True),
    Tunable("queue_depth", "node.session.queue_depth", "32", "commands outstanding per LUN", 1, 1024),
    Tunable("nr_sessions", "node.session.nr_sessions", "1",
            "sessions a login makes to each portal (multipath joins them)", 1, 256),
    Tunable("login_timeout", "node.conn[0].timeo.login_timeout", "15", "seconds per login attempt", 1, 3600,
            unit="s"),
    Tunable("login_retries", "node.session.initial_login_retry_max", "8",
            "attempts of a first login before it fails", 1, 1000),
    Tunable("header_digest", "node.conn[0].iscsi.HeaderDigest", "None",
            "CRC32C over each PDU header (catches corruption the TCP checksum misses; costs CPU)",
            choices=DIGESTS),
    Tunable("data_digest", "node.conn[0].iscsi.DataDigest", "None",
            "CRC32C over each PDU's data (costs CPU on every byte)", choices=DIGESTS),
)
BY_NAME: dict[str, Tunable] = {t.name: t for t in TUNABLES} | {t.setting: t for t in TUNABLES}


@record
class Proposal:
    value: str
    why: str


PROFILES = ("multipath", "throughput", "defaults")


def profile_values(profile: str, *, portals: int, defaults: Mapping[str, str]) -> dict[str, Proposal]:
    """What a profile proposes for a target with records on ``portals`` portals; ``defaults`` are
    iscsid.conf's values by setting name (open-iscsi's built-in ones where it sets none)."""
    if profile == "defaults":
        return {t.name: Proposal(defaults.get(t.setting, t.default),
                                 "iscsid.conf's value" if t.setting in defaults else "open-iscsi's built-in default")
                for t in TUNABLES}
    if profile == "multipath":
        return {
            "replacement_timeout": Proposal(MULTIPATH_REPLACEMENT_TIMEOUT,
                                            "fail I/O over to the other paths within seconds, not after 120 s"),
            "noop_out_interval": Proposal("5", "notice a dead connection within 10 s"),
            "noop_out_timeout": Proposal("5", "notice a dead connection within 10 s"),
            "login_timeout": Proposal("15", "a path that comes back logs in again without a long wait"),
        }
    if profile == "throughput":
        out = {
            "queue_depth": Proposal("64", "more commands in flight per LUN for deep random I/O (the guides' 64)"),
            "cmds_max": Proposal("256", "room for queue_depth 64 on several LUNs of one session"),
        }
        if portals <= 1:
            out["nr_sessions"] = Proposal("2", "one portal: two sessions (two TCP connections) under one "
                                               "multipath map spread the I/O; needs isc multipath config --write")
        return out
    raise UsageError(f"no profile {profile!r}; profiles: {', '.join(PROFILES)}")


def parse_sets(items: Sequence[str]) -> dict[str, Proposal]:
    """``--set NAME=VALUE`` words (short names or record settings) into checked values."""
    out: dict[str, Proposal] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        tunable = BY_NAME.get(name)
        if not sep or tunable is None:  # the name only: a mistyped value may be a secret (auth.password=...)
            raise UsageError(f"{name!r} is not a setting isc tune sets: "
                             f"{', '.join(t.name for t in TUNABLES)} (NAME=VALUE)",
                             hint="any other record setting: isc nodes set TARGET NAME=VALUE")
        if tunable.name in out:
            raise UsageError(f"{tunable.name} is given twice")
        out[tunable.name] = Proposal(tunable.check(value), "--set")
    return out


def check_together(values: Mapping[str, str]) -> None:
    """Values that contradict each other: a queue depth the session can never reach."""
    qd, cmds = values.get("queue_depth"), values.get("cmds_max")
    if qd and cmds and qd.isdigit() and cmds.isdigit() and int(qd) > int(cmds):
        raise UsageError(f"queue_depth {qd} is larger than cmds_max {cmds}: a LUN could never have that many "
                         "commands outstanding", hint=f"raise cmds_max too: --set cmds_max="
                                                      f"{1 << max(1, int(qd) - 1).bit_length()}")
