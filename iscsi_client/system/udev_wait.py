"""Waiting for the block devices of new sessions, driven by udev's events (system/udev_monitor.py), never by
sleeping.

The monitor is started BEFORE the login so no event is missed; the condition is re-checked against sysfs
and the udev database once before the first wait and then after each burst of events (for many sessions,
only the sessions the events name). Each poll has its own timeout, so the overall deadline is kept here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from iscsi_client import fanout
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from typing import TypeVar

    from iscsi_client.system.udev_monitor import UdevMonitor

    K = TypeVar("K")


QUIET = 1.0  # seconds without an event after which every pending item is looked at again
RECEIVE_BUFFER = 16 * 1024 * 1024  # hundreds of devices appearing at once must not overflow the socket


class DeviceWaiter:
    def __init__(self, root: Root) -> None:
        self.root = root
        self._monitor: UdevMonitor | None = None
        if root.is_live:
            from iscsi_client.system.udev_monitor import UdevMonitor

            self._monitor = UdevMonitor("block", receive_buffer=RECEIVE_BUFFER)

    def wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        """True once ``ready()`` holds; False when it still does not at the deadline. ``ready()`` runs once
        per burst of events (every event already queued is read first), not once per event, after QUIET
        seconds without an event, and once more at the deadline (a state reached without an event of its
        own, or just as the time ran out, is not a timeout)."""
        deadline = time.monotonic() + timeout
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._monitor is None:
                return ready()
            if self._monitor.poll(timeout=min(remaining, QUIET)) is not None:
                self._drain()
        return True

    def wait_each(self, keys: Iterable[K], ready: Callable[[K], bool], key_of: Callable[[str], K | None],
                  timeout: float) -> set[K]:
        """Wait until ``ready(key)`` holds for every key; returns the keys still not ready at the deadline.
        Each key is looked at once at the start, then only when an event names it (``key_of`` maps an
        event's sysfs path to a key, or None), so the work grows with the events, not with events x keys.
        After QUIET seconds without an event every pending key is looked at again (an event lost to a full
        netlink buffer must not turn into a timeout)."""
        pending = {k for k in keys if not ready(k)}
        deadline = time.monotonic() + timeout
        while pending and self._monitor is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            first = self._monitor.poll(timeout=min(remaining, QUIET))
            if first is None:
                pending = {k for k in pending if not ready(k)}
                continue
            named = {key_of("/sys/" + event.get("DEVPATH", "").lstrip("/")) for event in (first, *self._drain())}
            pending -= {k for k in pending & named if ready(k)}
        return pending

    def _drain(self) -> list[dict[str, str]]:
        """Every event already queued, without waiting."""
        assert self._monitor is not None
        out = []
        while (event := self._monitor.poll(timeout=0)) is not None:
            out.append(event)
        return out

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.close()
        self._monitor = None


def scan_host(root: Root, host: int) -> None:
    """Ask the kernel to scan an iSCSI SCSI host now. The write returns when the scan is complete, so
    every LUN the target maps is in sysfs afterwards (iscsid's own scan runs asynchronously)."""
    try:
        fd = os.open(root.str(f"/sys/class/scsi_host/host{host}/scan"), os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return  # iscsid's own scan still runs; the wait below covers it
    try:
        os.write(fd, b"- - -\n")
    except OSError:
        pass  # the same
    finally:
        os.close(fd)


def scan_hosts(root: Root, hosts: list[int], *, parallel: int) -> None:
    """scan_host for each host, ``parallel`` at once: each write waits for its own host's scan only."""
    fanout.each(lambda h: scan_host(root, h), hosts, parallel=parallel)
