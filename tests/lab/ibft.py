"""The iBFT lab: a guest booted through iPXE (QEMU's network ROM) that hooks an iSCSI LUN with `sanhook`,
so the firmware publishes an iBFT table the Linux guest reads (/sys/firmware/ibft, `iscsiadm -m fw`).

The target is a tgtd on the host (127.0.0.1:3262, seen from the guest as 10.0.2.2:3262), whose ACL admits
the firmware's initiator name only. iPXE fetches boot.ipxe by TFTP and the kernel and initrd by HTTP from a
server in this process (TFTP of a 60 MB initrd took minutes under TCG).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import vm

TARGET = "iqn.2003-01.org.isc.lab:boot"
FIRMWARE_INITIATOR = "iqn.2005-03.org.isc.lab:firmware"
PORT = 3262  # not 3260: the host tests' tgtd uses that
CONTROL = "62"  # tgtd's management channel, apart from any other tgtd on the host
HOST = "10.0.2.2"  # the host's loopback, from the guest's user network

BOOT_SCRIPT = """#!ipxe
dhcp
set initiator-iqn {initiator}
sanhook iscsi:{host}::{port}:1:{target} || goto failed
kernel http://{host}:{http}/vmlinuz {args}
initrd http://{host}:{http}/initrd.img
boot
:failed
echo isc lab: sanhook failed
shell
"""


def _tgtadm(*args: str) -> None:
    subprocess.run(["tgtadm", "-C", CONTROL, "--lld", "iscsi", *args], check=True, capture_output=True)


@contextmanager
def host_target(work: Path) -> Iterator[None]:
    """tgtd on 127.0.0.1:PORT with TARGET: LUN 1 a 64 MiB sparse file; only FIRMWARE_INITIATOR may log in."""
    backing = work / "boot.img"
    subprocess.run(["truncate", "-s", "64M", str(backing)], check=True)
    log = open(work / "tgtd.log", "wb")
    tgtd = subprocess.Popen(["tgtd", "-f", "-C", CONTROL, "--iscsi", f"portal=127.0.0.1:{PORT}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(50):
            if subprocess.run(["tgtadm", "-C", CONTROL, "--mode", "sys", "--op", "show"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        _tgtadm("--mode", "target", "--op", "new", "--tid", "1", "--targetname", TARGET)
        _tgtadm("--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1", "--backing-store", str(backing))
        _tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-name", FIRMWARE_INITIATOR)
        yield
    finally:
        # tgtd ignores SIGTERM while it has targets: take them down first
        subprocess.run(["tgtadm", "-C", CONTROL, "--op", "update", "--mode", "sys", "--name", "State", "-v",
                        "offline"], capture_output=True)
        subprocess.run(["tgtadm", "-C", CONTROL, "--lld", "iscsi", "--mode", "target", "--op", "delete",
                        "--force", "--tid", "1"], capture_output=True)
        subprocess.run(["tgtadm", "-C", CONTROL, "--op", "delete", "--mode", "system"], capture_output=True)
        try:
            tgtd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tgtd.kill()
            tgtd.wait()
        log.close()


@contextmanager
def http_server(directory: Path) -> Iterator[int]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def firmware_guest(image: Path, share: Path) -> Iterator[vm.Guest]:
    """A lab guest booted from iPXE with the host's LUN hooked: the firmware's iBFT names TARGET on
    10.0.2.2:PORT and FIRMWARE_INITIATOR, and the guest's own initiatorname.iscsi keeps the lab's name."""
    work = Path(tempfile.mkdtemp(prefix="isc-lab-ibft-"))
    try:
        for name in ("vmlinuz", "initrd.img"):
            (work / name).symlink_to(image / name)
        with host_target(work), http_server(work) as http:
            (work / "boot.ipxe").write_text(BOOT_SCRIPT.format(
                initiator=FIRMWARE_INITIATOR, host=HOST, port=PORT, target=TARGET, http=http, args=vm.KERNEL_ARGS))
            g = vm.Guest(image, share=share, netboot=work)
            try:
                g.start(timeout=300)
                yield g
            finally:
                g.cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)
