"""The model: frozen dataclasses with validation. Pure: no I/O here.

iSCSI names follow RFC 3720 section 3.2.6 and RFC 3722 (stringprep profile: names are compared in lower
case). Portals follow iscsiadm's notation: ``host``, ``host:port``, ``[v6]:port``, optional ``,tpgt``.
"""

from __future__ import annotations

from iscsi_client.errors import InvalidNameError, InvalidPortalError, InvalidSecretError, UsageError
from iscsi_client.records import field, record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from ipaddress import IPv6Address

DEFAULT_PORT = 3260
MAX_NAME_BYTES = 223  # RFC 3720 3.2.6.1

# iSCSI names are checked by hand, not with re: a login validates its target before its first exec, and re
# (with enum, functools and collections) is about 50 ms of a start in the TCG lab guest; loaded after that
# exec has started, it costs a login nothing (iscsi_client.preload)
_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_LABEL_CHARS = _LOWER_ALNUM | {"-"}
_UNIQUE_CHARS = _LOWER_ALNUM | {".", ":", "-"}
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")


@record(order=True)
class Iqn:
    """A validated iSCSI name (iqn., eui. or naa. format). ``str()`` gives the canonical form."""

    value: str

    @classmethod
    def parse(cls, text: str) -> Iqn:
        name = text.strip()
        if not name:
            raise InvalidNameError("empty iSCSI name", hint="an iSCSI name looks like iqn.2003-01.org.example:disk1")
        try:
            size = len(name.encode())
        except UnicodeEncodeError:  # bytes that are not UTF-8, read from a file with surrogateescape
            raise InvalidNameError(f"iSCSI name {name.encode(errors='surrogateescape')!r} is not valid UTF-8",
                                   hint="an iSCSI name is UTF-8 text (RFC 3720): rewrite it") from None
        if size > MAX_NAME_BYTES:
            raise InvalidNameError(f"iSCSI name is {size} bytes long; the limit is {MAX_NAME_BYTES}")
        if any(c.isspace() for c in name):
            raise InvalidNameError(f"iSCSI name {name!r} contains whitespace")
        kind = name[:4].lower()
        if kind == "iqn.":
            return cls(_check_iqn(name))
        if kind in ("eui.", "naa."):
            return cls(_check_hex_name(name))
        raise InvalidNameError(
            f"{name!r} is not an iSCSI name: it must start with 'iqn.', 'eui.' or 'naa.'",
            hint="an iSCSI qualified name looks like iqn.2003-01.org.example:disk1",
        )

    @property
    def kind(self) -> str:
        return self.value[:3].lower()

    def __str__(self) -> str:
        return self.value


def _check_iqn(name: str) -> str:
    if name != name.lower():
        raise InvalidNameError(
            f"iSCSI name {name!r} contains upper-case letters",
            hint=f"iSCSI names are compared in lower case (RFC 3722); use {name.lower()!r}",
        )
    rest = name[4:]
    naming, sep, unique = rest.partition(":")
    parts = naming.split(".")
    if len(parts) < 2:
        raise InvalidNameError(
            f"{name!r}: after 'iqn.' comes a date and a reversed domain name, like iqn.2003-01.org.example"
        )
    date = parts[0]  # YYYY-MM; any Unicode decimal digits, as re's \d took them
    if not (len(date) == 7 and date[4] == "-" and date[:4].isdecimal() and date[5:].isdecimal()
            and 1 <= int(date[5:]) <= 12):
        raise InvalidNameError(
            f"{name!r}: {parts[0]!r} is not a year-month date (YYYY-MM)",
            hint="the date is when the naming authority owned the domain, e.g. iqn.2003-01.org.example",
        )
    for label in parts[1:]:
        if not (label and _LABEL_CHARS.issuperset(label) and label[0] != "-" and label[-1] != "-"):
            raise InvalidNameError(
                f"{name!r}: {label!r} is not a valid domain label (letters, digits and inner '-' only)"
            )
    if sep and not unique:
        raise InvalidNameError(f"{name!r}: nothing follows the ':'")
    if not _UNIQUE_CHARS.issuperset(unique):
        bad = sorted(set(unique) - _UNIQUE_CHARS)
        raise InvalidNameError(
            f"{name!r}: character(s) {' '.join(repr(c) for c in bad)} not allowed in an iSCSI name",
            hint="allowed: lower-case letters, digits, '.', '-' and ':'",
        )
    return name


def _check_hex_name(name: str) -> str:
    prefix, digits = name[:4].lower(), name[4:]
    allowed = (16,) if prefix == "eui." else (16, 32)
    if not _HEX_DIGITS.issuperset(digits) or len(digits) not in allowed:
        want = " or ".join(str(n) for n in allowed)
        raise InvalidNameError(f"{name!r}: '{prefix}' must be followed by exactly {want} hexadecimal digits")
    return prefix + digits.upper()


@record(order=True)
class Portal:
    """A target portal: address and port, optionally the target portal group tag."""

    host: str
    port: int = DEFAULT_PORT
    tpgt: int | None = None

    @classmethod
    def parse(cls, text: str, *, default_port: int = DEFAULT_PORT) -> Portal:
        raw = text.strip()
        if not raw:
            raise InvalidPortalError(
                "empty portal", hint="a portal looks like 192.0.2.10, 192.0.2.10:3260 or [2001:db8::1]:3260"
            )
        addr, _, tpgt_text = raw.partition(",")
        tpgt: int | None = None
        if tpgt_text == "-1":
            tpgt = -1
        elif tpgt_text:
            tpgt = _parse_int(tpgt_text, raw, "portal group tag", 0, 0xFFFFFFFF)
            if tpgt == 0xFFFFFFFF:  # iscsiadm prints tpgt -1 (records made by '-o new') like this
                tpgt = -1
        port = default_port
        if addr.startswith("["):
            host, bracket, tail = addr[1:].partition("]")
            if not bracket:
                raise InvalidPortalError(f"portal {raw!r}: missing ']' after the IPv6 address")
            if tail:
                if not tail.startswith(":"):
                    raise InvalidPortalError(f"portal {raw!r}: expected ':PORT' after ']'")
                port = _parse_int(tail[1:], raw, "port", 1, 65535)
            _ipv6(host, raw)
        elif addr.count(":") > 1:  # a bare IPv6 address, no port
            host = addr
            _ipv6(host, raw)
        else:
            host, colon, port_text = addr.partition(":")
            if colon:
                port = _parse_int(port_text, raw, "port", 1, 65535)
            _hostname(host, raw)
        if ":" in host:  # canonical IPv6: lower-case address; a zone id (%eth0) keeps its case
            addr6, pct, zone = host.partition("%")
            host = addr6.lower() + pct + zone
        return cls(host=host, port=port, tpgt=tpgt)

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    @property
    def is_link_local(self) -> bool:
        """169.254.0.0/16 or fe80::/10 (RFC 3927, RFC 4291)."""
        if not self.is_ipv6:
            return is_ipv4(self.host) and self.host.startswith("169.254.")
        ip = _ipv6_or_none(self.host)
        return ip is not None and ip.is_link_local

    @property
    def is_loopback(self) -> bool:
        """127.0.0.0/8, ::1 or the name localhost."""
        if not self.is_ipv6:
            return (is_ipv4(self.host) and self.host.startswith("127.")) or self.host == "localhost"
        ip = _ipv6_or_none(self.host)
        return ip is not None and ip.is_loopback

    @property
    def address(self) -> str:
        """``host:port`` as iscsiadm takes it (``[v6]:port`` for IPv6)."""
        host = f"[{self.host}]" if self.is_ipv6 else self.host
        return f"{host}:{self.port}"

    def without_tpgt(self) -> Portal:
        return Portal(self.host, self.port)

    def same_address(self, other: Portal) -> bool:
        """Same host and port; the portal group tag does not matter (sessions and records may lack it)."""
        return self.host == other.host and self.port == other.port

    def __str__(self) -> str:
        return self.address if self.tpgt is None else f"{self.address},{self.tpgt}"


def _parse_int(text: str, raw: str, what: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidPortalError(f"portal {raw!r}: {what} {text!r} is not a number from {low} to {high}")
    return int(text)


def _ipv6_address(host: str) -> IPv6Address:
    """The address of an IPv6 host (its zone id left out); ValueError for anything else. ipaddress is
    imported here, for IPv6 only: it is 30 ms of every start in the TCG lab guest."""
    from ipaddress import IPv6Address

    return IPv6Address(host.split("%")[0])


def _ipv6_or_none(host: str) -> IPv6Address | None:
    """A Portal made without parse (from sysfs, a record) may hold a host that is no address: neither
    link-local nor loopback, as before, not an error."""
    try:
        return _ipv6_address(host)
    except ValueError:
        return None


def _ipv6(host: str, raw: str) -> None:
    try:
        _ipv6_address(host)
    except ValueError:
        raise InvalidPortalError(f"portal {raw!r}: {host!r} is not an IPv6 address") from None


def is_ipv4(text: str) -> bool:
    """A dotted-quad IPv4 address as ipaddress.IPv4Address takes it: four decimal numbers from 0 to 255,
    ASCII digits only, at most three each, no leading zero (010 would be octal 8 to inet_aton)."""
    parts = text.split(".")
    return len(parts) == 4 and all(
        p.isascii() and p.isdigit() and len(p) <= 3 and int(p) <= 255 and (p == "0" or p[0] != "0") for p in parts)


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$"


def _hostname(host: str, raw: str) -> None:
    if is_ipv4(host):  # the common portal, checked without re (which the name pattern loads)
        return
    import re

    if not host:
        raise InvalidPortalError(f"portal {raw!r}: no address before the ':'")
    if not re.match(_HOSTNAME, host):
        raise InvalidPortalError(f"portal {raw!r}: {host!r} is neither an IP address nor a host name")
    if host.rstrip(".").rpartition(".")[2].isdigit():
        # A host name's last label is never all digits (RFC 1123 2.1): this is meant as an IPv4 address, and
        # the resolver would take shorthands (10.1) and leading zeros (010 = octal 8) in ways nobody meant.
        if not is_ipv4(host):
            raise InvalidPortalError(
                f"portal {raw!r}: {host!r} is not an IPv4 address",
                hint="an IPv4 address is four numbers from 0 to 255 without leading zeros, like 192.0.2.10",
            )


@record
class Secret:
    """A CHAP secret. Its repr and str never show the value; only :meth:`reveal` does."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"


#: RFC 3720 11.1.4 allows 96-bit (12 byte) secrets and up; LIO's configfs accepts up to 255 characters,
#: but open-iscsi keeps CHAP secrets in a 256-byte buffer and many targets (and Windows) cap them at 16.
CHAP_SECRET_MIN = 12
CHAP_SECRET_MAX = 16
CHAP_SECRET_MAX_ABSOLUTE = 255
CHAP_USER_MAX = 255


def validate_chap(user: str, secret: Secret, *, role: str = "CHAP", strict_max: bool = True) -> None:
    """Refuse credentials the kernel or common targets would reject, before anything is written."""
    if not user or any(c.isspace() for c in user) or len(user) > CHAP_USER_MAX:
        raise InvalidSecretError(f"{role} user name must be 1-{CHAP_USER_MAX} characters without spaces")
    value = secret.reveal()
    top = CHAP_SECRET_MAX if strict_max else CHAP_SECRET_MAX_ABSOLUTE
    if len(value) < CHAP_SECRET_MIN or len(value) > top:
        raise InvalidSecretError(
            f"{role} secret has {len(value)} characters; it must have {CHAP_SECRET_MIN} to {top}",
            hint=("RFC 3720 asks for at least 12 bytes; the Windows initiator and many arrays take at most 16. "
                  "Linux LIO targets and open-iscsi take up to 255: use --allow-long-secret for those"),
        )
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in value):
        raise InvalidSecretError(f"{role} secret must be printable ASCII without spaces")


@record
class Chap:
    """CHAP settings of a node record as isc shows them: never the secret itself."""

    method: str = "None"
    username: str | None = None
    has_password: bool = False
    username_in: str | None = None
    has_password_in: bool = False

    @property
    def mode(self) -> str:
        if self.method != "CHAP":
            return "none"
        return "mutual" if self.username_in else "one-way"


@record
class DiscoveredTarget:
    """One line of a SendTargets answer: a target name reachable on a portal."""

    target: Iqn
    portal: Portal


@record
class Node:
    """A node record: one (target, portal, iface) in open-iscsi's database."""

    target: Iqn
    portal: Portal
    iface: str = "default"
    startup: str = "manual"
    conn_startup: str = "manual"
    chap: Chap = Chap()
    discovery: str = "static"
    replacement_timeout: int | None = None
    queue_depth: int | None = None  # node.session.queue_depth: per-LUN outstanding commands
    cmds_max: int | None = None  # node.session.cmds_max: per-session outstanding commands
    scan: str = "auto"  # node.session.scan: manual = the kernel does not scan LUNs at login
    login_timeout: int | None = None  # node.conn[0].timeo.login_timeout: seconds per login attempt
    login_retries: int | None = None  # node.session.initial_login_retry_max: attempts of a first login
    nr_sessions: int = 1  # node.session.nr_sessions: sessions a login makes to this portal through this iface

    @property
    def key(self) -> tuple[str, str, str]:
        return (str(self.target), self.portal.address, self.iface)

    @property
    def login_window(self) -> float:
        """How long iscsid itself keeps trying a first login of this record before iscsiadm returns (its
        attempts times their timeout, plus the pauses between them, generously: open-iscsi's defaults,
        8 x 15 s, took 135 s against a target that drops every login in the lab guest, 2 x 5 s took 24 s)."""
        per_try = self.login_timeout if self.login_timeout is not None and self.login_timeout > 0 else 15
        tries = self.login_retries if self.login_retries is not None and self.login_retries > 0 else 8
        return float(tries * (per_try + 10) + 30)


@record
class Iface:
    name: str
    transport: str
    hwaddress: str | None = None
    ipaddress: str | None = None
    net_ifacename: str | None = None
    initiatorname: str | None = None


ISNS_PORT = 3205  # iSNS servers listen here; a SendTargets portal on DEFAULT_PORT


@record
class DiscoveryRecord:
    """A discovery record (iscsiadm -m discoverydb): where to ask and how to authenticate. The CHAP
    user names only: a record never carries a secret out of the file it was read from."""

    portal: Portal
    method: str  # "sendtargets" or "isns"
    auth: str = "None"  # "None" or "CHAP"
    chap_user: str | None = None
    mutual_user: str | None = None


# --- node record settings ------------------------------------------------------------------------------
_SETTING_NAME = r"^node\.[A-Za-z0-9_]+(?:\[\d+\])?(?:\.[A-Za-z0-9_]+(?:\[\d+\])?)*$"
IDENTITY_SETTINGS = ("node.name", "node.tpgt", "node.conn[0].address", "node.conn[0].port",
                     "node.transport_name", "node.discovery_address", "node.discovery_port",
                     "node.discovery_type", "iface.iscsi_ifacename")


def check_setting(name: str, value: str) -> None:
    """A node record setting isc may set (``isc nodes set``, ``isc config restore``): not CHAP, not identity."""
    import re

    if not re.match(_SETTING_NAME, name):
        raise UsageError(f"{name!r} is not a node record setting (they look like node.session.queue_depth)",
                         hint="'iscsiadm -m node -T TARGET -o show' lists a record's settings")
    low = name.lower()
    if ".auth." in low and ("password" in low or "username" in low or "authmethod" in low):
        raise UsageError(f"{name} is CHAP: isc sets it with 'isc chap', which never takes a secret on the "
                         "command line", hint="isc chap TARGET --user NAME --password-file FILE")
    if name in IDENTITY_SETTINGS:
        raise UsageError(f"{name} is part of the record's identity, not a setting",
                         hint="add a record for the new target or portal: isc nodes add TARGET PORTAL")
    if not value or not value.isprintable() or any(c.isspace() for c in value):
        raise UsageError(f"the value for {name} must be one word of printable characters",
                         hint="iscsiadm's empty value is <empty>")
