"""Sessions of the boot firmware (iBFT): which sessions are the firmware's, logging in to its targets
(`iscsiadm -m fw -l`, with the firmware's NIC brought up first), and keeping logouts away from them.

A host booted from an iSCSI LUN has its root disk on the firmware's session: logging it out, or giving
its record settings meant for an ordinary data disk, takes the disk away from under the running system."""

from __future__ import annotations

from iscsi_client import records
from iscsi_client.errors import InUseError, IscsiadmError, NotFoundError
from iscsi_client.kernel_model import Session
from iscsi_client.system import firmware, sysfs
from iscsi_client.system.firmware import FirmwareTable
from iscsi_client.system.lock import NotHeld
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:  # status only reads the firmware's table: it loads none of these (the commands that log in do)
    from collections.abc import Callable, Sequence

    from iscsi_client.ops.outcome import Outcome
    from iscsi_client.system.commands import Commands
    from iscsi_client.system.iscsiadm import Iscsiadm

NO_TABLE_HINT = ("iBFT exists only on hosts whose firmware (BIOS/UEFI iSCSI boot, iPXE sanhook) logged in to a "
                 "target; where it did, load the kernel's reader: modprobe iscsi_ibft")


def keys(table: FirmwareTable | None) -> set[tuple[str, str]]:
    """(target, portal address) of every target in the firmware's table."""
    return {(t.name, t.portal) for t in table.targets} if table else set()


def firmware_keys(root: Root) -> set[tuple[str, str]]:
    return keys(firmware.read_table(root))


def firmware_initiator(root: Root) -> str | None:
    """The initiator name in the firmware's table."""
    table = firmware.read_table(root)
    return table.initiator if table else None


def is_firmware(s: Session, fw: set[tuple[str, str]]) -> bool:
    return (str(s.target), s.portal.address) in fw


def refuse_firmware_sessions(root: Root, sessions: Sequence[Session]) -> None:
    """A logout (or teardown) of a firmware session is refused, naming the danger; --force overrides."""
    fw = firmware_keys(root)
    theirs = [s for s in sessions if is_firmware(s, fw)]
    if theirs:
        named = ", ".join(f"session {s.sid} ({s.target} on {s.portal.address})" for s in theirs)
        raise InUseError(f"{named}: the boot firmware (iBFT) logged in to this target; a host booted from "
                         "that LUN loses its disk (root filesystem included) when the session goes",
                         hint="leave it, or pass --force if this host did not boot from it (nothing was changed)")


def _bring_up_nics(root: Root, cmd: Commands, table: FirmwareTable) -> list[str]:
    """The firmware's NICs, each with the address the firmware used, where the OS has not configured it: an
    image that configures no network (or a NIC named differently from the installer's) has none, and a
    firmware login then times out."""
    steps = []
    for nic_index in sorted({t.nic for t in table.targets if t.nic is not None}):
        nic = table.nic(nic_index)
        if nic is None or nic.mac is None or nic.address is None or nic.prefix is None:
            continue
        name = firmware.interface_of(root, nic.mac)
        if name is None:
            steps.append(f"no network interface has the firmware NIC's MAC {nic.mac}; left as it is")
            continue
        if firmware.has_address(cmd, name, nic.address):
            continue
        firmware.bring_up(cmd, name, nic.address, nic.prefix)
        how = "its DHCP lease" if nic.dhcp else "its static setting"
        steps.append(f"{name} ({nic.mac}) brought up with {nic.address}/{nic.prefix}, the firmware's address "
                     f"({how})")
    return steps


def login_firmware(*, root: Root, adm: Iscsiadm, cmd: Commands, wait: bool = True, wait_timeout: float = 30.0,
                   progress: Callable[[str], None] | None = None) -> list[Outcome]:
    """Log in to the firmware's targets (idempotent) and wait for their devices, as any login does. A target
    counts as logged in when the kernel has its session afterwards, whatever iscsiadm printed."""
    from iscsi_client.ops.login import wait_for_devices
    from iscsi_client.ops.outcome import Outcome
    from iscsi_client.parsers.login_lines import parse_login_lines
    from iscsi_client.system.iscsiadm import last_line
    from iscsi_client.system.udev_wait import DeviceWaiter

    root.require_live("logging in to the firmware's targets")
    firmware.load_reader(root, cmd)
    table = firmware.read_table(root)
    if table is None or not table.targets:
        raise NotFoundError("this host's firmware has no iSCSI boot (iBFT) targets", hint=NO_TABLE_HINT)
    fw = keys(table)
    steps = tuple(_bring_up_nics(root, cmd, table))
    waiter = DeviceWaiter(root) if wait and not adm.dry_run else None
    try:
        with adm.lock() if not adm.dry_run else NotHeld():
            before = sysfs.read_sessions(root)
            present = {(str(s.target), s.portal.address) for s in before if is_firmware(s, fw)}
            outcomes = [Outcome(k[0], k[1], "already", "already logged in", steps=steps) for k in sorted(present)]
            missing = sorted(fw - present)
            if missing:
                done = adm.run(["-m", "fw", "-l"], mutating=True, action="logging in to the firmware's targets",
                               ok=tuple(range(256)))  # per target from its output and from the kernel, below
                results = {(r.target, r.portal): r for r in parse_login_lines(done.stdout, done.stderr)}
                after = {(str(s.target), s.portal.address): s for s in sysfs.read_sessions(root)}
                for k in missing:
                    r = results.get(k)
                    if done.dry_run:
                        outcomes.append(Outcome(k[0], k[1], "would", "would log in (iscsiadm -m fw -l)", steps=steps))
                    elif k in after:
                        outcomes.append(Outcome(k[0], k[1], "done", "logged in", iface=after[k].iface, steps=steps))
                    else:
                        err = IscsiadmError(r.rc if r else done.rc or 1, action=f"login to {k[0]} on {k[1]}",
                                            detail=r.reason if r else last_line(done))
                        outcomes.append(Outcome(k[0], k[1], "failed", err.message, err, steps=steps))
        if waiter is not None and any(o.status == "done" for o in outcomes):
            waited = wait_for_devices(root, waiter, outcomes, {b.sid for b in before}, wait_timeout, progress, set())
            outcomes = [records.replace(o, steps=steps) for o in waited]
    finally:
        if waiter is not None:
            waiter.close()
    return outcomes
