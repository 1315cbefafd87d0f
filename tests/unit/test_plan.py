"""The plan engine (ops/plan.py) with steps over a dict standing for the host: the order of checks, previews,
runs and verifications a user sees in connect/disconnect. The steps' commands go through the real runners in
dry-run mode (nothing is executed), so the collected lines are the ones --dry-run shows."""

from __future__ import annotations

import pytest

from iscsi_client.errors import InUseError, IscError, NotFoundError
from iscsi_client.model import Secret
from iscsi_client.ops.plan import CHANGED, FAILED, OK, PENDING, SKIPPED, WOULD, Done, Engine, PlanFailed, Step, Tools
from iscsi_client.system.lock import NotHeld
from iscsi_client.system.root import Root


class Host:
    def __init__(self) -> None:
        self.state: dict[str, bool] = {}
        self.runs: list[str] = []

    def step(self, key: str, *, needs: str | None = None, refuse: bool = False, broken: bool = False) -> Step:
        def run(t: Tools) -> Done:
            if needs and not self.state.get(needs):
                raise NotFoundError(f"{needs} first")
            if refuse:
                raise InUseError(f"{key}: in use")
            t.adm.run(["-m", "node", "-o", "update", "-n", "x.password", "-v", Secret("s3cr3t-value")],
                      mutating=True, action=key)
            if not t.dry_run:
                self.runs.append(key)
                self.state[key] = not broken
            return Done(f"{key} done")
        return Step(key, key, lambda: self.state.get(key, False), run, f"{key} holds")


def engine() -> Engine:
    # the runners refuse nothing here: a live root whose commands never execute in dry-run mode
    return Engine(Root.__new__(Root), timeout=1)


@pytest.fixture(autouse=True)
def live_root(monkeypatch):
    monkeypatch.setattr(Root, "require_live", lambda self, action: None)


def real_adm(monkeypatch):
    """A real run: the iscsiadm exec is replaced by a success (the engine's bookkeeping is under test), and
    so is putting the secret into record files (tests/unit/test_record_secrets.py tests that)."""
    from iscsi_client.system import iscsiadm, record_secrets

    monkeypatch.setattr(iscsiadm.Iscsiadm, "_exec",
                        lambda self, args, masked, stdin, at_least=None: iscsiadm.Completed(masked, 0, "", ""))
    monkeypatch.setattr(iscsiadm.Iscsiadm, "lock", lambda self: NotHeld())
    monkeypatch.setattr(record_secrets, "fill", lambda root, tokens: len(tokens))


def test_dry_run_previews_the_first_step_and_marks_the_dependent_ones_pending():
    h = Host()
    steps = [h.step("discover"), h.step("login", needs="discover"), h.step("mount", needs="login")]
    r = engine().execute(steps, dry_run=True, command="isc connect X")
    assert [s.status for s in r.steps] == [WOULD, PENDING, PENDING]
    assert r.steps[0].commands == ["iscsiadm -m node -o update -n x.password -v '********'"]
    assert "discover first" in r.steps[1].detail and not r.changed and h.runs == []


def test_a_run_changes_in_order_and_a_second_run_changes_nothing(monkeypatch):
    real_adm(monkeypatch)
    h = Host()
    steps = [h.step("discover"), h.step("login", needs="discover")]
    first = engine().execute(steps, dry_run=False, command="isc connect X")
    assert [s.status for s in first.steps] == [CHANGED, CHANGED] and first.changed
    assert h.runs == ["discover", "login"]
    second = engine().execute(steps, dry_run=False, command="isc connect X")
    assert [s.status for s in second.steps] == [OK, OK] and not second.changed and h.runs == ["discover", "login"]


def test_a_refusal_with_nothing_to_do_before_it_changes_nothing():
    h = Host()
    h.state["discover"] = True
    steps = [h.step("discover"), h.step("mount", refuse=True)]
    with pytest.raises(PlanFailed) as e:
        engine().execute(steps, dry_run=False, command="isc connect X")
    assert e.value.exit_code == 7 and "nothing was changed" in e.value.message and h.runs == []
    assert e.value.step.status == FAILED


def test_a_failing_step_stops_the_run_names_what_was_done_and_how_to_go_on(monkeypatch):
    real_adm(monkeypatch)
    h = Host()
    steps = [h.step("discover"), h.step("login", needs="discover", broken=True), h.step("mount", needs="login")]
    with pytest.raises(PlanFailed) as e:
        engine().execute(steps, dry_run=False, command="isc connect X")
    err = e.value
    assert [s.status for s in err.report.steps] == [CHANGED, FAILED, SKIPPED]
    assert "step 'login'" in err.message and "done before it: discover" in err.message
    assert "the check still fails: login holds" in err.message
    assert "isc connect X" in (err.hint or "")
    assert "s3cr3t" not in repr(err.report.steps) + err.message + (err.hint or "")
    assert isinstance(err, IscError)


def test_a_first_step_that_ran_and_failed_is_not_reported_as_done_before_itself(monkeypatch):
    real_adm(monkeypatch)
    h = Host()
    with pytest.raises(PlanFailed) as e:
        engine().execute([h.step("discover", broken=True), h.step("login", needs="discover")], dry_run=False,
                         command="isc connect X")
    msg = e.value.message
    assert "done before it" not in msg and "nothing was changed" not in msg  # it did run its command
    assert "no step before it changed anything" in msg and e.value.report.steps[0].changed
