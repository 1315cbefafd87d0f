"""DeviceWaiter.wait: a condition reached without a udev event of its own is seen within QUIET seconds, and
one reached just as the deadline passes is not reported as a timeout."""

from __future__ import annotations

import time
from pathlib import Path

from iscsi_client.system import udev_wait
from iscsi_client.system.root import Root


class Silent:
    """A udev monitor on which no event ever arrives (lost, or never sent)."""

    def poll(self, timeout: float | None = None) -> None:
        time.sleep(min(timeout or 0, 6))  # as a monitor's poll does: the whole timeout (capped: a failing test ends)
        return None


def waiter(tmp_path: Path) -> udev_wait.DeviceWaiter:
    w = udev_wait.DeviceWaiter(Root(tmp_path))
    w._monitor = Silent()  # type: ignore[assignment]
    return w


def test_a_condition_met_without_an_event_is_seen_before_the_deadline(tmp_path, monkeypatch):
    monkeypatch.setattr(udev_wait, "QUIET", 0.05)
    ready_at = time.monotonic() + 0.3
    t0 = time.monotonic()
    assert waiter(tmp_path).wait(lambda: time.monotonic() >= ready_at, timeout=30)
    assert time.monotonic() - t0 < 5


def test_a_condition_met_as_the_deadline_passes_is_not_a_timeout(tmp_path):
    answers = iter([False, True])
    assert waiter(tmp_path).wait(lambda: next(answers), timeout=0)
    assert not waiter(tmp_path).wait(lambda: False, timeout=0.1)
