"""Waiting for the block devices of new sessions, driven by udev events (pyudev), never by sleeping.

The monitor is started BEFORE the login so no event is missed; the condition is re-checked against sysfs
and the udev database after every event, and once before the first wait. pyudev's poll timeout restarts at
every event, so the overall deadline is kept here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from iscsi_client.system.root import Root


class DeviceWaiter:
    def __init__(self, root: Root) -> None:
        self.root = root
        self._monitor = None
        if root.is_live:
            import pyudev

            context = pyudev.Context()
            monitor = pyudev.Monitor.from_netlink(context, source="udev")
            monitor.filter_by("block")
            monitor.start()
            self._monitor = monitor

    def wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        """True once ``ready()`` holds; False when the deadline passes first."""
        deadline = time.monotonic() + timeout
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._monitor is None:
                return False
            self._monitor.poll(timeout=remaining)
        return True

    def close(self) -> None:
        self._monitor = None


def scan_host(root: Root, host: int) -> None:
    """Ask the kernel to scan an iSCSI SCSI host now. The write returns when the scan is complete, so
    every LUN the target maps is in sysfs afterwards (iscsid's own scan runs asynchronously)."""
    path = root(f"/sys/class/scsi_host/host{host}/scan")
    try:
        path.write_text("- - -\n")
    except OSError:
        pass  # iscsid's own scan still runs; the wait below covers it
