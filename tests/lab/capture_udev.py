"""Capture, in a lab guest, the datagrams udevd and the kernel send on NETLINK_KOBJECT_UEVENT while a disk is
changed and the MULTI target's LUN is logged in and out, as a test fixture (tests/fixtures/lab/udev-events.json:
each datagram base64, the group it was sent to, the sender's uid). tests/unit/test_udev_monitor.py reads it.

    python3 tests/lab/capture_udev.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "fixtures" / "lab" / "udev-events.json"

LISTEN = r'''
import base64, json, select, socket, subprocess, sys, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
s.bind((0, 3))  # both groups: 1 the kernel's, 2 udev's
out = []


def collect(seconds):
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([s], [], [], left)[0]:
            data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
            uid = next((int.from_bytes(p[4:8], sys.byteorder) for lvl, kind, p in anc
                        if kind == socket.SCM_CREDENTIALS), None)
            out.append({"groups": addr[1], "uid": uid, "data": base64.b64encode(data).decode()})


for command in sys.argv[1:]:
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
    collect(3)
print(json.dumps(out))
'''


def main() -> None:
    sys.path.insert(0, str(HERE))
    import vm
    from labtargets import MULTI

    steps = ["udevadm trigger --action=change /sys/class/block/vda",
             f"iscsiadm -m discovery -t st -p 127.0.0.1 && iscsiadm -m node -T {MULTI} -p 127.0.0.1 --login",
             f"iscsiadm -m node -T {MULTI} -p 127.0.0.1 --logout"]
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        g.run(f"cat > /root/listen.py <<'X'\n{LISTEN}\nX").check()
        events = json.loads(g.run(["python3", "/root/listen.py", *steps], timeout=120).check().stdout)
    OUT.write_text(json.dumps(events, indent=1) + "\n")
    print(f"{len(events)} datagrams -> {OUT}")


if __name__ == "__main__":
    main()
