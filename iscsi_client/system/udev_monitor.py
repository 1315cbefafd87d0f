"""udev's events, read from its netlink multicast group the way libudev reads them: each event udev has
finished with (rules run, the database written, links made) arrives as one datagram holding its KEY=VALUE
properties (ACTION, DEVPATH, SUBSYSTEM, DEVNAME...).

isc used pyudev for this, which reaches libudev through ctypes: importing it cost about 0.2 s of every login
in the TCG lab guest (ctypes, datetime, locale, shutil), for a socket, a poll and a split on NUL bytes.

A datagram from udev starts with libudev's header (systemd's sd-device/device-monitor.c): "libudev\\0", the
magic 0xfeedcafe in network order, then the header's size and the properties' offset and length in host order.
As libudev does, a datagram is taken only from udev's group and from a root sender (the kernel passes the
sender's credentials), and a truncated one is dropped.
"""

from __future__ import annotations

import _socket as socket  # the C module socket.py wraps: socket.py's enums cost start-up (see net.py)
import errno
import select
import sys
import time

NETLINK_KOBJECT_UEVENT = 15
UDEV_GROUP = 2  # udev's events; group 1 is the kernel's own, sent before udev has run
MAGIC = 0xFEEDCAFE
SO_RCVBUFFORCE = 33  # Linux: a receive buffer above rmem_max, for root (what udevadm monitor sets)
RECEIVE_SIZE = 65536  # libudev reads 8 KiB; a larger event is kept here rather than dropped
_CREDENTIALS = 12  # struct ucred: pid, uid, gid


def parse(data: bytes, *, groups: int, sender_uid: int | None, truncated: bool = False) -> dict[str, str] | None:
    """The properties of one datagram from udev, or None for anything libudev would drop too: not from
    udev's group, not from root, cut short, without libudev's header and magic."""
    if truncated or len(data) < 32 or groups != UDEV_GROUP or sender_uid != 0:
        return None
    if data[:8] != b"libudev\0" or int.from_bytes(data[8:12], "big") != MAGIC:
        return None
    offset = int.from_bytes(data[16:20], sys.byteorder)
    if offset + 32 > len(data):
        return None
    props: dict[str, str] = {}
    for item in data[offset:].split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key:
            props[key.decode(errors="replace")] = value.decode(errors="replace")
    return props


class UdevMonitor:
    """Events of one subsystem ("block"), from the moment it is made: make it before the action whose
    devices are awaited, then look at what already exists, then poll."""

    def __init__(self, subsystem: str, *, receive_buffer: int) -> None:
        self.subsystem = subsystem
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK,
                                   NETLINK_KOBJECT_UEVENT)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            try:
                self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
            except OSError:  # not root: the kernel's default buffer (the waits re-check when events go quiet)
                pass
            self._sock.bind((0, UDEV_GROUP))
        except OSError:
            self._sock.close()
            raise

    def poll(self, timeout: float) -> dict[str, str] | None:
        """The next event of the subsystem, or None when none comes within ``timeout`` seconds (0: only
        what is already queued)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                data, ancdata, flags, address = self._sock.recvmsg(RECEIVE_SIZE, socket.CMSG_SPACE(_CREDENTIALS))
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([self._sock], [], [], remaining)[0]:
                    return None
                continue
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # events lost to a full buffer; the waits re-check anyway
                    continue
                raise
            uid = None
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= _CREDENTIALS:
                    uid = int.from_bytes(payload[4:8], sys.byteorder)
            event = parse(data, groups=address[1] if isinstance(address, tuple) else 0, sender_uid=uid,
                          truncated=bool(flags & socket.MSG_TRUNC))
            if event is not None and event.get("SUBSYSTEM") == self.subsystem:
                return event

    def close(self) -> None:
        self._sock.close()

