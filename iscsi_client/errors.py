"""The one error tree of isc.

Every failure a user can cause is an :class:`IscError` with a plain message, a hint saying what to do, and
an exit code from :data:`EXIT_CODES`. ``cli/app.py`` is the single place that turns them into output.
Messages never contain CHAP secrets: nothing in isc ever formats a secret into a string.
"""

from __future__ import annotations

from iscsi_client.records import record

# isc's own exit codes (documented in the man page and README).
EXIT_OK = 0
EXIT_FAILURE = 1  # the operation failed (see message)
EXIT_USAGE = 2  # bad input: malformed name, portal, option; nothing was changed
EXIT_NOT_FOUND = 3  # no such node record, session, device or mount
EXIT_AUTH = 4  # CHAP or ACL refused the login
EXIT_UNREACHABLE = 5  # portal refused, timed out or unreachable
EXIT_ENVIRONMENT = 6  # missing kernel initiator, iscsid down, iscsiadm missing, not root
EXIT_IN_USE = 7  # refused because something is in use (session, mount, holder)
EXIT_PARTIAL = 8  # several portals/targets: some succeeded, some failed

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success (also when the requested state already held)",
    EXIT_FAILURE: "the operation failed",
    EXIT_USAGE: "invalid input or usage; nothing was changed",
    EXIT_NOT_FOUND: "no matching node record, session, device or mount",
    EXIT_AUTH: "login refused: CHAP credentials or the target's ACL",
    EXIT_UNREACHABLE: "portal unreachable, refused or timed out",
    EXIT_ENVIRONMENT: "host not ready: iscsiadm, iscsid or the kernel initiator missing, or not root",
    EXIT_IN_USE: "refused: the record, session or device is in use",
    EXIT_PARTIAL: "some portals or targets succeeded and others failed",
}


class IscError(Exception):
    """A failure with a message for the user, a hint, and an exit code."""

    exit_code: int = EXIT_FAILURE
    kind: str = "error"

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint, "exit_code": self.exit_code}


class UsageError(IscError):
    exit_code = EXIT_USAGE
    kind = "usage"


class InvalidNameError(UsageError):
    kind = "invalid_name"


class InvalidPortalError(UsageError):
    kind = "invalid_portal"


class InvalidSecretError(UsageError):
    kind = "invalid_secret"


class NotFoundError(IscError):
    exit_code = EXIT_NOT_FOUND
    kind = "not_found"


class InUseError(IscError):
    exit_code = EXIT_IN_USE
    kind = "in_use"


class EnvironmentProblem(IscError):
    exit_code = EXIT_ENVIRONMENT
    kind = "environment"


class RootModeError(UsageError):
    """An operation needs the live host but isc runs with --root."""

    kind = "root_mode"


@record
class IscsiadmCode:
    """What one of iscsiadm's exit codes means to a user."""

    name: str
    meaning: str
    exit_code: int
    hint: str | None = None


_START_ISCSID = (
    "start it with 'systemctl start iscsid' (or 'iscsid' on hosts without systemd); "
    "'isc doctor' checks the whole host"
)

#: iscsiadm exit codes (open-iscsi include/iscsi_err.h, iscsiadm(8)) in plain words.
ISCSIADM_CODES: dict[int, IscsiadmCode] = {
    0: IscsiadmCode("ISCSI_SUCCESS", "success", EXIT_OK),
    1: IscsiadmCode("ISCSI_ERR", "iscsiadm failed (generic error)", EXIT_FAILURE),
    2: IscsiadmCode("ISCSI_ERR_SESS_NOT_FOUND", "the session was not found", EXIT_NOT_FOUND,
                    "list sessions with 'isc sessions'"),
    3: IscsiadmCode("ISCSI_ERR_NOMEM", "out of memory", EXIT_FAILURE),
    4: IscsiadmCode("ISCSI_ERR_TRANS", "transport error (network or TCP connection failed)", EXIT_UNREACHABLE,
                    "check that the portal address is reachable from this host"),
    5: IscsiadmCode("ISCSI_ERR_LOGIN", "login failed", EXIT_FAILURE,
                    "check the target's portal, TPG and LUN mapping; iscsid's log has details"),
    6: IscsiadmCode("ISCSI_ERR_IDBM", "the node database could not be read or written", EXIT_FAILURE,
                    "check /etc/iscsi (permissions, disk space); run isc as root"),
    7: IscsiadmCode("ISCSI_ERR_INVAL", "invalid argument or parameter", EXIT_USAGE),
    8: IscsiadmCode("ISCSI_ERR_TRANS_TIMEOUT", "the connection timed out", EXIT_UNREACHABLE,
                    "the portal did not answer: check address, routing and firewalls (TCP 3260)"),
    9: IscsiadmCode("ISCSI_ERR_INTERNAL", "internal iscsid or kernel failure", EXIT_FAILURE,
                    "look at iscsid's log (journalctl -u iscsid)"),
    10: IscsiadmCode("ISCSI_ERR_LOGOUT", "logout failed", EXIT_FAILURE),
    11: IscsiadmCode("ISCSI_ERR_PDU_TIMEOUT", "the portal did not answer (connection refused or PDU timeout)",
                     EXIT_UNREACHABLE,
                     "check that a target listens on that address and port (default 3260); if it does and "
                     "iscsid's log (journalctl -u iscsid) says 'TCP connection closed', the target drops the "
                     "login: look at the target's log"),
    12: IscsiadmCode("ISCSI_ERR_TRANS_NOT_FOUND", "the kernel's iSCSI initiator (iscsi_tcp) is not available",
                     EXIT_ENVIRONMENT,
                     "load it with 'modprobe iscsi_tcp'; containers and some minimal kernels do not have it"),
    13: IscsiadmCode("ISCSI_ERR_ACCESS", "permission denied", EXIT_ENVIRONMENT, "run isc as root"),
    14: IscsiadmCode("ISCSI_ERR_TRANS_CAPS", "the transport does not support this operation", EXIT_FAILURE),
    15: IscsiadmCode("ISCSI_ERR_SESS_EXISTS", "a session already exists (or the record is in use)",
                     EXIT_IN_USE, "log out first with 'isc logout'"),
    16: IscsiadmCode("ISCSI_ERR_INVALID_MGMT_REQ", "invalid request to iscsid", EXIT_FAILURE),
    17: IscsiadmCode("ISCSI_ERR_ISNS_UNAVAILABLE", "iSNS is not supported", EXIT_FAILURE),
    18: IscsiadmCode("ISCSI_ERR_ISCSID_COMM_ERR", "talking to iscsid failed", EXIT_ENVIRONMENT,
                     "restart iscsid: 'systemctl restart iscsid'"),
    19: IscsiadmCode("ISCSI_ERR_FATAL_LOGIN", "fatal login error (the target rejected the login)",
                     EXIT_FAILURE, "check the target name and that the target exports it on this portal"),
    20: IscsiadmCode("ISCSI_ERR_ISCSID_NOTCONN", "iscsid is not running (could not connect to it)",
                     EXIT_ENVIRONMENT, _START_ISCSID),
    21: IscsiadmCode("ISCSI_ERR_NO_OBJS_FOUND", "no matching records, targets, sessions or portals",
                     EXIT_NOT_FOUND, "see 'isc nodes' and 'isc sessions'"),
    22: IscsiadmCode("ISCSI_ERR_SYSFS_LOOKUP", "the object was not found in sysfs", EXIT_NOT_FOUND),
    23: IscsiadmCode("ISCSI_ERR_HOST_NOT_FOUND", "the SCSI host was not found", EXIT_NOT_FOUND),
    24: IscsiadmCode("ISCSI_ERR_LOGIN_AUTH_FAILED",
                     "login refused: wrong or missing CHAP credentials, or no ACL for this initiator name",
                     EXIT_AUTH),
    25: IscsiadmCode("ISCSI_ERR_ISNS_QUERY", "the iSNS query failed", EXIT_UNREACHABLE,
                     "check that an iSNS server listens on that address and port (default 3205)"),
    26: IscsiadmCode("ISCSI_ERR_ISNS_REG_FAILED", "iSNS registration failed", EXIT_FAILURE),
    27: IscsiadmCode("ISCSI_ERR_OP_NOT_SUPP", "operation not supported", EXIT_FAILURE),
    28: IscsiadmCode("ISCSI_ERR_BUSY", "device or resource busy", EXIT_IN_USE),
    29: IscsiadmCode("ISCSI_ERR_AGAIN", "temporary failure; retrying may succeed", EXIT_FAILURE,
                     "run the command again"),
    30: IscsiadmCode("ISCSI_ERR_UNKNOWN_DISCOVERY_TYPE", "unknown discovery type", EXIT_USAGE),
    31: IscsiadmCode("ISCSI_ERR_CHILD_TERMINATED", "an iscsiadm child process was terminated", EXIT_FAILURE),
    32: IscsiadmCode("ISCSI_ERR_SESSION_NOT_CONNECTED", "the session is probably not connected",
                     EXIT_FAILURE, "see 'isc sessions' for the session state"),
    33: IscsiadmCode("ISCSI_ERR_33", "error 33 (not defined by open-iscsi 2.1.x; newer iscsiadm)",
                     EXIT_FAILURE),
    255: IscsiadmCode("ISCSI_ERR_LEGACY", "iscsiadm failed (legacy exit code 255)", EXIT_FAILURE),
}


def describe_iscsiadm_code(rc: int) -> IscsiadmCode:
    """Plain words for any iscsiadm exit code, including ones it should never return."""
    known = ISCSIADM_CODES.get(rc)
    if known is not None:
        return known
    return IscsiadmCode(f"UNKNOWN_{rc}", f"iscsiadm failed with unknown exit code {rc}", EXIT_FAILURE)


class IscsiadmError(IscError):
    """iscsiadm returned a non-zero exit code that the operation could not absorb."""

    kind = "iscsiadm"

    def __init__(self, rc: int, *, action: str, detail: str = "", hint: str | None = None) -> None:
        code = describe_iscsiadm_code(rc)
        message = f"{action}: {code.meaning}"
        if detail:
            message += f" ({detail})"
        super().__init__(message, hint=hint or code.hint, exit_code=code.exit_code)
        self.rc = rc
        self.code_name = code.name

    def as_dict(self) -> dict[str, object]:
        out = super().as_dict()
        out["iscsiadm_rc"] = self.rc
        out["iscsiadm_error"] = self.code_name
        return out
