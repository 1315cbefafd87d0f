"""Many LIO targets at once in a lab guest, for the scale tests and benchmarks (issue 17).

Each scale target has one LUN (a nullio ramdisk: no memory, reads give zeros, its own WWID) and two portals
(127.0.0.1 and 127.0.0.2), like the lab's two-portal target, and an ACL for the guest's initiator. They are
made and removed in ONE python3 process in the guest through rtslib (what targetcli itself is built on):
a targetcli batch of the same ~200 commands takes minutes under TCG.
"""

from __future__ import annotations

from labtargets import INITIATOR

PREFIX = "iqn.2003-01.org.isc.lab:scale"

_MAKE = """
import sys
from rtslib_fb import FabricModule, LUN, MappedLUN, NetworkPortal, NodeACL, RDMCPStorageObject, Target, TPG
iscsi = FabricModule("iscsi")
for i in range({n}):
    so = RDMCPStorageObject("scale%02d" % i, size=64 * 1024 * 1024, nullio=True)
    tpg = TPG(Target(iscsi, "{prefix}%02d" % i), 1)
    for ip in ("127.0.0.1", "127.0.0.2"):
        NetworkPortal(tpg, ip, 3260)
    lun = LUN(tpg, 0, so)
    MappedLUN(NodeACL(tpg, "{initiator}"), 0, lun)
    tpg.set_attribute("authentication", "0")
    tpg.enable = True
"""

_REMOVE = """
from rtslib_fb import RTSRoot
root = RTSRoot()
for t in list(root.targets):
    if t.wwn.startswith("{prefix}"):
        t.delete()
for so in list(root.storage_objects):
    if so.name.startswith("scale"):
        so.delete()
"""


def names(n: int) -> list[str]:
    return [f"{PREFIX}{i:02d}" for i in range(n)]


def make_targets(guest, n: int) -> list[str]:
    guest.run("python3 -", stdin=_MAKE.format(n=n, prefix=PREFIX, initiator=INITIATOR), timeout=600).check()
    return names(n)


def remove_targets(guest) -> None:
    guest.run("python3 -", stdin=_REMOVE.format(prefix=PREFIX), timeout=600).check()
