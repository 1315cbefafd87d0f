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

from collections import Counter
from dataclasses import dataclass

from iscsi_client.errors import IscsiadmError
from iscsi_client.model import Node, Session
from iscsi_client.parsers.login_lines import RecordResult, parse_login_lines, parse_logout_lines
from iscsi_client.system.iscsiadm import Call, Completed, node_selector

ANY_CODE = tuple(range(256))  # a batch's code is read per record from its output


@dataclass(frozen=True)
class Batch:
    call: Call
    members: tuple[Node, ...] | tuple[Session, ...]

    @property
    def single(self) -> bool:
        return self.call.ok != ANY_CODE


Result = tuple[str, str, IscsiadmError | None]  # status (done | already | would | failed), detail, error


def login_batches(todo: list[Node], every: list[Node]) -> list[Batch]:
    if len(todo) > 1 and {n.key for n in todo} == {n.key for n in every}:
        return [Batch(Call(["-m", "node", "--loginall=all"], action="login to every record", ok=ANY_CODE),
                      tuple(todo))]
    held = Counter((str(n.target), n.iface) for n in every)
    groups: dict[tuple[str, str], list[Node]] = {}
    for n in todo:
        groups.setdefault((str(n.target), n.iface), []).append(n)
    out: list[Batch] = []
    for (target, iface), members in groups.items():
        if len(members) > 1 and len(members) == held[(target, iface)]:
            out.append(Batch(Call([*node_selector(members[0].target, None, iface), "--login"],
                                  action=f"login to {target}", ok=ANY_CODE), tuple(members)))
        else:
            out += [Batch(Call([*node_selector(n.target, n.portal.without_tpgt(), n.iface), "--login"],
                               action=f"login to {n.target} on {n.portal.address}", ok=(0, 15)), (n,))
                    for n in members]
    return out


def logout_batches(chosen: list[Session], every: list[Session], *, by_sid: bool) -> list[Batch]:
    def one(s: Session) -> Batch:
        selector = ["-m", "session", "-r", str(s.sid)] if by_sid else \
            node_selector(s.target, s.portal.without_tpgt(), s.iface)
        return Batch(Call([*selector, "--logout"], action=f"logout from {s.target} on {s.portal.address}",
                          ok=(0, 21, 22)), (s,))

    if by_sid:
        return [one(s) for s in chosen]
    if len(chosen) > 1 and {s.sid for s in chosen} == {s.sid for s in every}:
        return [Batch(Call(["-m", "session", "-u"], action="logout from every session", ok=ANY_CODE),
                      tuple(chosen))]
    held = Counter(str(s.target) for s in every)
    groups: dict[str, list[Session]] = {}
    for s in chosen:
        groups.setdefault(str(s.target), []).append(s)
    out: list[Batch] = []
    for target, members in groups.items():
        if len(members) > 1 and len(members) == held[target]:
            out.append(Batch(Call([*node_selector(members[0].target), "--logout"], action=f"logout from {target}",
                                  ok=ANY_CODE), tuple(members)))
        else:
            out += [one(s) for s in members]
    return out


def login_results(batch: Batch, result: Completed | IscsiadmError) -> list[Result]:
    """An outcome for each record of the batch, in its order."""
    if isinstance(result, IscsiadmError):
        return [("failed", result.message, result)] * len(batch.members)
    if result.dry_run:
        return [("would", "would log in", None)] * len(batch.members)
    if batch.single:
        return [("already", "already logged in", None) if result.rc == 15 else ("done", "logged in", None)]
    said = {(r.target, r.portal, r.iface): r for r in parse_login_lines(result.stdout, result.stderr)}
    out: list[Result] = []
    for n in batch.members:
        assert isinstance(n, Node)
        r = said.get((str(n.target), n.portal.address, n.iface))
        out.append(_from_line(r, result, f"login to {n.target} on {n.portal.address}", ("logged in", 15)))
    return out


def logout_results(batch: Batch, result: Completed | IscsiadmError) -> list[Result]:
    if isinstance(result, IscsiadmError):
        return [("failed", result.message, result)] * len(batch.members)
    if result.dry_run:
        return [("would", "would log out", None)] * len(batch.members)
    if batch.single:
        return [("already", "no session", None) if result.rc in (21, 22) else ("done", "logged out", None)]
    said = {r.sid: r for r in parse_logout_lines(result.stdout, result.stderr)}
    out: list[Result] = []
    for s in batch.members:
        assert isinstance(s, Session)
        out.append(_from_line(said.get(s.sid), result, f"logout from {s.target} on {s.portal.address}",
                              ("logged out", 21)))
    return out


def _from_line(r: RecordResult | None, whole: Completed, action: str, done: tuple[str, int]) -> Result:
    word, skipped = done
    if r is not None and r.ok:
        return "done", word, None
    if r is not None:
        e = IscsiadmError(r.rc or whole.rc, action=action,
                          detail=f"initiator reported error ({r.rc} - {r.reason})" if r.rc else "")
        return "failed", e.message, e
    if whole.rc in (0, skipped):  # not named: iscsiadm found it already logged in (out)
        return "already", "already logged in" if skipped == 15 else "no session", None
    lines = whole.error_lines()
    e = IscsiadmError(whole.rc, action=action, detail=lines[-1].removeprefix("iscsiadm: ") if lines else "")
    return "failed", e.message, e
