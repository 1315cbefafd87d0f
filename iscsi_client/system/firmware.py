"""The boot firmware's iSCSI table (iBFT), as the kernel's iscsi_ibft module publishes it under
/sys/firmware/ibft: the initiator name the firmware logged in with, its targets and its NICs. Read as files
(so it works under --root); the CHAP secrets there are never read. Bringing a firmware NIC up is the one
thing here that changes the host."""

from __future__ import annotations

import os

from iscsi_client.errors import EnvironmentProblem
from iscsi_client.records import record
from iscsi_client.system.blockdev import read_attr
from iscsi_client.system.root import Root

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from iscsi_client.system.commands import Commands

IBFT = "/sys/firmware/ibft"


@record
class FirmwareNic:
    index: int
    mac: str | None
    address: str | None  # the address the firmware used (its DHCP lease or its static setting)
    prefix: int | None
    gateway: str | None
    dhcp: bool  # origin 3 (DHCP) in the table


@record
class FirmwareTarget:
    index: int
    name: str
    address: str
    port: int
    lun: str | None  # as the table stores it (iPXE's LUN 1 reads 01000000)
    nic: int | None  # index of the FirmwareNic it goes through
    chap_user: str | None

    @property
    def portal(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


@record
class FirmwareTable:
    initiator: str | None
    targets: tuple[FirmwareTarget, ...]
    nics: tuple[FirmwareNic, ...]

    def nic(self, index: int | None) -> FirmwareNic | None:
        return next((n for n in self.nics if n.index == index), None)


def _attr(root: Root, path: str) -> str | None:
    return read_attr(root.str(path)) or None


def _int(text: str | None) -> int | None:
    try:
        return int(text, 0) if text is not None else None
    except ValueError:
        return None


def _prefix(root: Root, d: str) -> int | None:
    p = _int(_attr(root, f"{d}/prefix-len"))
    if p is not None:
        return p
    mask = _attr(root, f"{d}/subnet-mask")
    import ipaddress  # here: isc status reads this module on every host, and few have an iBFT netmask

    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen if mask else None
    except ValueError:
        return None


def read_table(root: Root) -> FirmwareTable | None:
    """The iBFT table, or None where the host has none (or the iscsi_ibft module is not loaded)."""
    base = root.str(IBFT)
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return None
    targets, nics = [], []
    for name in names:
        d = f"{IBFT}/{name}"
        if name.startswith("target"):
            tname, addr = _attr(root, f"{d}/target-name"), _attr(root, f"{d}/ip-addr")
            if tname and addr:
                targets.append(FirmwareTarget(
                    _int(_attr(root, f"{d}/index")) or 0, tname, addr, _int(_attr(root, f"{d}/port")) or 3260,
                    _attr(root, f"{d}/lun"), _int(_attr(root, f"{d}/nic-assoc")),
                    _attr(root, f"{d}/chap-name")))
        elif name.startswith("ethernet"):
            nics.append(FirmwareNic(
                _int(_attr(root, f"{d}/index")) or 0, (_attr(root, f"{d}/mac") or "").lower() or None,
                _attr(root, f"{d}/ip-addr"), _prefix(root, d), _attr(root, f"{d}/gateway"),
                _attr(root, f"{d}/origin") == "3"))
    if not targets and not nics and _attr(root, f"{IBFT}/initiator/initiator-name") is None:
        return None
    return FirmwareTable(_attr(root, f"{IBFT}/initiator/initiator-name"), tuple(targets), tuple(nics))


def load_reader(root: Root, cmd: Commands) -> None:
    """Load the kernel's iBFT reader (iscsi_ibft) where /sys/firmware/ibft is missing: distributions do not
    load it unless the initramfs boots from iSCSI, and without it iscsiadm finds no firmware targets. It only
    reads the firmware's table; a kernel without it (or a host with no table) is left as it is."""
    if root.is_live and not os.path.isdir(IBFT):
        try:
            cmd.run(["modprobe", "-q", "iscsi_ibft"], mutating=False, action="loading the kernel's iBFT reader",
                    ok=tuple(range(256)))
        except EnvironmentProblem:  # no modprobe (a container): iscsiadm then finds no table, and isc says so
            pass


def interface_of(root: Root, mac: str) -> str | None:
    """The network interface with this MAC address."""
    base = root.str("/sys/class/net")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return None
    return next((n for n in names if (_attr(root, f"/sys/class/net/{n}/address") or "").lower() == mac), None)


def has_address(cmd: Commands, nic: str, address: str) -> bool:
    out = cmd.run(["ip", "-o", "addr", "show", "dev", nic], mutating=False, action=f"reading {nic}'s addresses")
    return any(f" {address}/" in line for line in out.stdout.splitlines())


def bring_up(cmd: Commands, nic: str, address: str, prefix: int) -> list[str]:
    """Give NIC the firmware's address and set it up; returns the command lines (run, or shown in a dry run)."""
    lines = []
    for argv in (["ip", "link", "set", nic, "up"], ["ip", "addr", "replace", f"{address}/{prefix}", "dev", nic]):
        cmd.run(argv, mutating=True, action=f"bringing up {nic} as the boot firmware says")
        lines.append(" ".join(argv))
    return lines
