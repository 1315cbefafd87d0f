"""A synthetic host tree for --root: SESSIONS sessions x LUNS LUNs, every LUN reached on two sessions and
assembled into a multipath map, half the maps mounted. Same layout as a real guest's sysfs (relative
symlinks), udev database and mountinfo (compare tests/fixtures/lab-root/multipath.tar.gz)."""

from __future__ import annotations

import os
from pathlib import Path


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def disk_name(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(ord("a") + r) + name
    return "sd" + name


def build(root: Path, sessions: int, luns: int) -> int:
    """Returns the number of block devices created (disks + maps)."""
    sys_ = root / "sys"
    mountinfo = []
    disk_index = 0
    devices = 0
    targets = max(1, sessions // 2)
    for sid in range(1, sessions + 1):
        host = sid + 1
        tnum = (sid - 1) // 2  # two sessions (portals) per target
        target = f"iqn.2003-01.org.isc.bench:t{tnum:04d}"
        portal = f"192.0.2.{1 + (sid - 1) % 2}"
        sdir = sys_ / f"devices/platform/host{host}/session{sid}"
        cls = sdir / f"iscsi_session/session{sid}"
        for k, v in {"targetname": target, "tpgt": "1", "state": "LOGGED_IN", "recovery_tmo": "5",
                     "ifacename": "default", "initiatorname": "iqn.2005-03.org.isc.bench:host"}.items():
            _w(cls / k, v + "\n")
        _link(sys_ / f"class/iscsi_session/session{sid}", f"../../devices/platform/host{host}/session{sid}/"
              f"iscsi_session/session{sid}")
        conn = sdir / f"connection{sid}:0/iscsi_connection/connection{sid}:0"
        _w(conn / "persistent_address", portal + "\n")
        _w(conn / "persistent_port", "3260\n")
        _w(conn / "state", "up\n")
        _link(sys_ / f"class/iscsi_connection/connection{sid}:0",
              f"../../devices/platform/host{host}/session{sid}/connection{sid}:0/iscsi_connection/connection{sid}:0")
        for lun in range(luns):
            ldir = sdir / f"target{host}:0:0/{host}:0:0:{lun}"
            for k, v in {"vendor": "LIO-ORG ", "model": "bench", "state": "running"}.items():
                _w(ldir / k, v + "\n")
            name = disk_name(disk_index)
            devno = f"{65 + disk_index // 256}:{disk_index % 256}"  # unique, like sd's majors 8 and 65-71
            disk_index += 1
            bdir = ldir / f"block/{name}"
            _w(bdir / "dev", devno + "\n")
            _w(bdir / "size", str(2 << 20) + "\n")
            _link(sys_ / f"class/block/{name}", os.path.relpath(bdir, sys_ / "class/block"))
            map_index = tnum * luns + lun
            wwid = f"36001405{map_index:024x}"
            _link(bdir / f"holders/dm-{map_index}", f"../../../../../../../../virtual/block/dm-{map_index}")
            _w(root / f"run/udev/data/b{devno}", f"E:ID_SERIAL={wwid}\nS:disk/by-path/ip-{portal}:3260-iscsi-"
               f"{target}-lun-{lun}\n")
            devices += 1
            mdir = sys_ / f"devices/virtual/block/dm-{map_index}"
            if not (mdir / "dev").exists():
                mdev = f"253:{map_index}"
                _w(mdir / "dev", mdev + "\n")
                _w(mdir / "size", str(2 << 20) + "\n")
                _w(mdir / "dm/name", wwid + "\n")
                _w(mdir / "dm/uuid", f"mpath-{wwid}\n")
                (mdir / "holders").mkdir(parents=True, exist_ok=True)
                _link(sys_ / f"class/block/dm-{map_index}", f"../../devices/virtual/block/dm-{map_index}")
                _w(root / f"run/udev/data/b{mdev}", f"E:ID_FS_TYPE=xfs\nE:ID_FS_UUID=uuid-{map_index}\n"
                   f"S:disk/by-id/dm-uuid-mpath-{wwid}\n")
                devices += 1
                if map_index % 2 == 0:
                    mountinfo.append(f"{100 + map_index} 1 {mdev} / /srv/t{map_index} rw,relatime - xfs "
                                     f"/dev/mapper/{wwid} rw")
    _w(root / "proc/self/mountinfo", "\n".join(mountinfo) + "\n")
    assert targets
    return devices
