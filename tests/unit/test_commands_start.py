"""Commands.start: a tool started while isc goes on (systemctl daemon-reload beside the mount), shown and
recorded in the caller's order, skipped by --dry-run, its failure raised by wait() as run() raises it."""

from __future__ import annotations

import time

import pytest

from iscsi_client.errors import IscError
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root


def test_start_returns_before_the_tool_ends_and_wait_gives_its_output():
    shown: list[tuple[str, bool]] = []
    cmd = Commands(Root(), observer=lambda line, dry: shown.append((line, dry)), changes=[])
    t0 = time.monotonic()
    slow = cmd.start(["sh", "-c", "sleep 0.5; echo reloaded"], mutating=True, action="reloading")
    fast = cmd.run(["echo", "mounted"], mutating=True, action="mounting")
    assert time.monotonic() - t0 < 0.4  # the second ran while the first still slept
    assert fast.stdout == "mounted\n"
    done = slow.wait()
    assert (done.rc, done.stdout) == (0, "reloaded\n")
    assert [line for line, _ in shown] == ["sh -c 'sleep 0.5; echo reloaded'", "echo mounted"]
    assert cmd.changes == ["sh -c 'sleep 0.5; echo reloaded'", "echo mounted"]


def test_wait_raises_a_failure_like_run_and_dry_run_starts_nothing(tmp_path):
    cmd = Commands(Root())
    started = cmd.start(["sh", "-c", "echo no such unit >&2; exit 5"], mutating=False, action="reloading systemd")
    with pytest.raises(IscError, match=r"reloading systemd failed: .* exited with 5 \(no such unit\)"):
        started.wait()
    marker = tmp_path / "ran"
    dry = Commands(Root(), dry_run=True, changes=[])
    r = dry.start(["touch", str(marker)], mutating=True, action="touching").wait()
    assert r.dry_run and not marker.exists() and dry.changes == [f"touch {marker}"]


def test_a_missing_tool_is_named_at_start():
    with pytest.raises(IscError, match="no-such-tool-isc is not installed"):
        Commands(Root()).start(["no-such-tool-isc"], mutating=False, action="probing")
