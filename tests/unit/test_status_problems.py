"""isc status exits 1 and names what needs attention: a session reconnecting, a LUN not running or gone."""

from __future__ import annotations

from iscsi_client.kernel_model import BlockDevice, Lun, Session
from iscsi_client.kernel_model import SessionView as View
from iscsi_client.model import Iqn, Portal
from iscsi_client.ops.status import problems

T = Iqn.parse("iqn.2003-01.org.example:disk")
P = Portal("192.0.2.1", 3260, 1)
SDA = BlockDevice("sda", "8:0", 1 << 30, "LIO-ORG", "disk")


def test_a_healthy_session_has_no_problem():
    assert problems([View(Session(1, T, P, state="LOGGED_IN"), (Lun("2:0:0:0", 0, "running", SDA),))]) == []
    assert problems([View(Session(1, T, P), (Lun("2:0:0:0", 0, None, SDA),))]) == []  # not reported: not a problem


def test_a_reconnecting_session_its_blocked_disk_and_a_gone_lun_are_named():
    said = problems([View(Session(3, T, P, state="FREE", connection_state="failed"),
                          (Lun("2:0:0:0", 0, "transport-offline", SDA),
                           Lun("2:0:0:1", 1, "running", BlockDevice("sdb", "8:16", 0, "IET", "VIRTUAL-DISK"))))])
    assert said == [f"session 3 ({T} on 192.0.2.1:3260) is FREE, connection failed: the kernel is reconnecting",
                    "/dev/sda (LUN 0 of session 3) is transport-offline",
                    "/dev/sdb (LUN 1 of session 3) is gone: no capacity: removed on the target"]
