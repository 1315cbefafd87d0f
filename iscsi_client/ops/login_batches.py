"""The fewest iscsiadm execs that log in (or out) exactly the chosen records (or sessions).

Each iscsiadm exec walks every session in sysfs, so at 64 sessions an exec per record costs iscsiadm
itself about 0.3 s of CPU (measured in the lab guest) and N records cost N walks; iscsid runs the logins of
one exec side by side. So:

- every record in the database needs a login: ``iscsiadm -m node --loginall=all`` (one exec);
- every record of a target through an iface needs one: ``-m node -T T -I IFACE --login``;
- otherwise one exec per record. Logouts alike: every session -> ``-m session -u``; every session of a
  target -> ``-m node -T T --logout``; else one per session (by id when ids were given).

The execs themselves run side by side (``--parallel``). Each record still gets its own outcome: a batch's
output names each record it logged in, refused (with iscsiadm's code for it) or logged out
(parsers/login_lines.py); a record it does not name was skipped as already logged in (or out).
"""

from __future__ import annotations

from iscsi_client import preload
from iscsi_client.errors import IscsiadmError
from iscsi_client.kernel_model import Session
from iscsi_client.model import Node
from iscsi_client.records import record
from iscsi_client.system.iscsiadm import Call, Completed, node_selector

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from iscsi_client.parsers.login_lines import RecordResult

# A batch's output is read by parsers/login_lines.py, which needs re (with enum, some 65 ms of a start in the
# TCG lab guest): it is imported while the batch's exec runs (preload), not before the first exec.
_LINES = "iscsi_client.parsers.login_lines"

ANY_CODE = tuple(range(256))  # a batch's code is read per record from its output


@record
class Batch:
    call: Call
    members: tuple[Node, ...] | tuple[Session, ...]
    batched: bool = False  # one exec for several: each member's outcome is read from the output


@record
class _Words:
    done: str
    skipped: str  # not named by a batch, or a single exec's "nothing to do" code
    would: str
    skip_codes: tuple[int, ...]


LOGIN_WORDS = _Words("logged in", "already logged in", "would log in", (15,))
LOGOUT_WORDS = _Words("logged out", "no session", "would log out", (21, 22))

Result = tuple[str, str, IscsiadmError | None]  # status (done | already | would | failed), detail, error


def login_batches(todo: list[Node], every: list[Node]) -> list[Batch]:
    """Each login exec waits at least as long as iscsid keeps trying its records (Node.login_window): an
    iscsiadm killed before that leaves iscsid retrying a session isc has reported as failed."""
    def window(members: list[Node]) -> float:
        return max(n.login_window for n in members)

    preload.queue(_LINES)
    if len(todo) > 1 and {n.key for n in todo} == {n.key for n in every}:
        return [Batch(Call(["-m", "node", "--loginall=all"], action="login to every record", ok=ANY_CODE,
                           timeout=window(todo)), tuple(todo), batched=True)]
    held: dict[tuple[str, str], int] = {}
    for n in every:
        held[(str(n.target), n.iface)] = held.get((str(n.target), n.iface), 0) + 1
    groups: dict[tuple[str, str], list[Node]] = {}
    for n in todo:
        groups.setdefault((str(n.target), n.iface), []).append(n)
    out: list[Batch] = []
    for (target, iface), members in groups.items():
        if len(members) > 1 and len(members) == held[(target, iface)]:
            out.append(Batch(Call([*node_selector(members[0].target, None, iface), "--login"],
                                  action=f"login to {target}", ok=ANY_CODE, timeout=window(members)),
                             tuple(members), batched=True))
        else:
            out += [Batch(Call([*node_selector(n.target, n.portal.without_tpgt(), n.iface), "--login"],
                               action=f"login to {n.target} on {n.portal.address}", ok=(0, 15),
                               timeout=n.login_window), (n,))
                    for n in members]
    return out


def logout_batches(chosen: list[Session], every: list[Session], *, by_sid: bool) -> list[Batch]:
    def one(s: Session) -> Batch:
        selector = ["-m", "session", "-r", str(s.sid)] if by_sid else \
            node_selector(s.target, s.portal.without_tpgt(), s.iface)
        return Batch(Call([*selector, "--logout"], action=f"logout from {s.target} on {s.portal.address}",
                          ok=(0, 21, 22)), (s,))

    preload.queue(_LINES)
    if by_sid:
        return [one(s) for s in chosen]
    if len(chosen) > 1 and {s.sid for s in chosen} == {s.sid for s in every}:
        return [Batch(Call(["-m", "session", "-u"], action="logout from every session", ok=ANY_CODE),
                      tuple(chosen), batched=True)]
    held: dict[str, int] = {}
    for s in every:
        held[str(s.target)] = held.get(str(s.target), 0) + 1
    groups: dict[str, list[Session]] = {}
    for s in chosen:
        groups.setdefault(str(s.target), []).append(s)
    out: list[Batch] = []
    for target, members in groups.items():
        if len(members) > 1 and len(members) == held[target]:
            out.append(Batch(Call([*node_selector(members[0].target), "--logout"], action=f"logout from {target}",
                                  ok=ANY_CODE), tuple(members), batched=True))
            continue
        # the sessions of one record (node.session.nr_sessions > 1) leave in its one exec, which logs out
        # every session of the record: an exec per session would find the second one gone already
        records: dict[tuple[str, str, str], list[Session]] = {}
        for s in members:
            records.setdefault((target, s.portal.address, s.iface), []).append(s)
        for same in records.values():
            first = same[0]
            out.append(one(first) if len(same) == 1 else
                       Batch(Call([*node_selector(first.target, first.portal.without_tpgt(), first.iface), "--logout"],
                                  action=f"logout from {target} on {first.portal.address}", ok=ANY_CODE),
                             tuple(same), batched=True))
    return out


def login_results(batch: Batch, result: Completed | IscsiadmError) -> list[Result]:
    """An outcome for each record of the batch, in its order (matched by target, portal and iface)."""
    from iscsi_client.parsers.login_lines import parse_login_lines

    return _results(batch, result, parse_login_lines, lambda r: (r.target, r.portal, r.iface),
                    lambda n: n.key if isinstance(n, Node) else None, "login to", LOGIN_WORDS)


def logout_results(batch: Batch, result: Completed | IscsiadmError) -> list[Result]:
    """An outcome for each session of the batch, in its order (matched by session id)."""
    from iscsi_client.parsers.login_lines import parse_logout_lines

    return _results(batch, result, parse_logout_lines, lambda r: r.sid,
                    lambda s: s.sid if isinstance(s, Session) else None, "logout from", LOGOUT_WORDS)


def _results(batch: Batch, result: Completed | IscsiadmError, parse: Callable[[str, str], list[RecordResult]],
             key_of_line: Callable[[RecordResult], object], key_of: Callable[[Node | Session], object],
             verb: str, words: _Words) -> list[Result]:
    if isinstance(result, IscsiadmError):
        return [("failed", result.message, result)] * len(batch.members)
    if result.dry_run:
        return [("would", words.would, None)] * len(batch.members)
    if not batch.batched:
        return [("already", words.skipped, None) if result.rc in words.skip_codes else ("done", words.done, None)]
    said = {key_of_line(r): r for r in parse(result.stdout, result.stderr)}
    return [_from_line(said.get(key_of(m)), result, f"{verb} {m.target} on {m.portal.address}", words)
            for m in batch.members]


def _from_line(r: RecordResult | None, whole: Completed, action: str, words: _Words) -> Result:
    if r is not None and r.ok:
        return "done", words.done, None
    if r is not None:
        e = IscsiadmError(r.rc or whole.rc, action=action,
                          detail=f"initiator reported error ({r.rc} - {r.reason})" if r.rc else "")
        return "failed", e.message, e
    if whole.rc == 0 or whole.rc in words.skip_codes:  # not named: iscsiadm found it already logged in (out)
        return "already", words.skipped, None
    lines = whole.error_lines()
    e = IscsiadmError(whole.rc, action=action, detail=lines[-1].removeprefix("iscsiadm: ") if lines else "")
    return "failed", e.message, e
