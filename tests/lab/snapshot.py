"""Capture a snapshot of the guest's iSCSI-related /sys, /run/udev, /proc/self/mountinfo and /etc files into
a directory on the host, for --root tests (tests/fixtures/lab-root/). sysfs symlinks are kept as the
relative links they are, so isc resolves them inside the snapshot like on the live host.

    python3 tests/lab/snapshot.py NAME      # boots the lab, sets up the scenario, captures

The result is stored as tests/fixtures/lab-root/NAME.tar.gz: sysfs symlinks form cycles, and a tree of
them in the checkout would send setuptools' file finder (pip install .) into an endless walk.
"""

from __future__ import annotations

import base64
import io
import sys
import tarfile
from pathlib import Path

GUEST_SCRIPT = r'''
import base64, io, os, sys, tarfile
buf = io.BytesIO()
tar = tarfile.open(fileobj=buf, mode="w:gz")
seen = set()

def add(path):
    if path in seen or not os.path.lexists(path):
        return
    seen.add(path)
    info = tarfile.TarInfo(path.lstrip("/"))
    if os.path.islink(path):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        tar.addfile(info)
    elif os.path.isdir(path):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    else:
        try:
            with open(path, "rb") as f:
                data = f.read(65536)
        except OSError:
            return
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))

def attrs(d, names):
    for n in names:
        add(os.path.join(d, n))

def block(name):
    link = "/sys/class/block/" + name
    add(link)
    real = os.path.realpath(link)
    attrs(real, ["dev", "size", "ro"])
    for sub in ("holders", "slaves"):
        p = os.path.join(real, sub)
        if os.path.isdir(p):
            for h in os.listdir(p):
                add(os.path.join(p, h))
                if sub == "holders":
                    block(h)
    if os.path.isdir(os.path.join(real, "dm")):
        attrs(os.path.join(real, "dm"), ["name", "uuid"])
    dev = open(os.path.join(real, "dev")).read().strip()
    add("/run/udev/data/b" + dev)

for s in sorted(os.listdir("/sys/class/iscsi_session")):
    link = "/sys/class/iscsi_session/" + s
    add(link)
    real = os.path.realpath(link)
    # never password or password_in
    attrs(real, ["targetname", "tpgt", "state", "recovery_tmo", "ifacename", "initiatorname", "username",
                 "first_burst_len", "max_burst_len", "immediate_data", "initial_r2t", "max_outstanding_r2t"])
    sdir = os.path.dirname(os.path.dirname(real))
    h = os.path.basename(os.path.dirname(sdir))
    add("/sys/class/iscsi_host/" + h)
    attrs(os.path.realpath("/sys/class/iscsi_host/" + h), ["ipaddress"])
    for t in os.listdir(sdir):
        if not t.startswith("target"):
            continue
        for lun in os.listdir(os.path.join(sdir, t)):
            ld = os.path.join(sdir, t, lun)
            if lun.count(":") != 3:
                continue
            attrs(ld, ["vendor", "model", "rev", "state", "wwid", "queue_depth", "type"])
            bd = os.path.join(ld, "block")
            if os.path.isdir(bd):
                for b in os.listdir(bd):
                    add(os.path.join(bd, b))
                    block(b)
    n = s[len("session"):]
    c = "/sys/class/iscsi_connection/connection%s:0" % n
    add(c)
    attrs(os.path.realpath(c), ["persistent_address", "persistent_port", "address", "port", "state", "local_port",
                                "header_digest", "data_digest", "max_recv_dlength", "max_xmit_dlength"])
add("/proc/self/mountinfo")
for base in ("/etc/fstab", "/etc/iscsi/initiatorname.iscsi", "/etc/iscsi/iscsid.conf"):
    add(base)
for dirpath, dirs, files in os.walk("/etc/iscsi/nodes"):
    for f in files:
        add(os.path.join(dirpath, f))
tar.close()
sys.stdout.write(base64.b64encode(buf.getvalue()).decode())
'''


def capture(guest, dest: Path) -> None:
    r = guest.run(["python3", "-c", GUEST_SCRIPT]).check()
    data = base64.b64decode(r.stdout)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="tar")
    # secrets never go into fixtures
    for rec in (dest / "etc/iscsi/nodes").rglob("*") if (dest / "etc/iscsi/nodes").exists() else []:
        if rec.is_file():
            text = "\n".join("node.session.auth.password = ********" if ln.startswith("node.session.auth.password ")
                             else ln for ln in rec.read_text().splitlines())
            rec.write_text(text + "\n")


SCENARIOS = {
    # two paths to one LUN, assembled into a multipath map and mounted through it
    "multipath": [
        "isc discover 127.0.0.1",
        "isc login iqn.2003-01.org.isc.lab:multi",
        "for d in $(lsblk -S -n -o NAME,TRAN | awk '$2==\"iscsi\"{print $1}'); do multipath -a /dev/$d; done",
        "systemctl restart multipathd && udevadm settle && sleep 2 && multipath -r && udevadm settle",
        "mkfs.xfs -q -f /dev/mapper/$(multipath -l -v1 | head -1) && udevadm settle",
        "mkdir -p /srv/data && mount /dev/mapper/$(multipath -l -v1 | head -1) /srv/data",
    ],
    # tgt: a two-portal target under multipath (isc's IET entry), and three LUNs (rdwr, aio, null) on one
    # portal; each session also has tgt's LUN 0, a controller with no block device
    "tgt": [
        "timeout 60 sh -c 'until systemctl is-active -q tgt; do sleep 0.5; done'",
        "isc discover 127.0.0.3 && isc discover 127.0.0.4",
        "isc login iqn.2003-01.org.isc.lab:tgt-multi && isc multipath config --write",
        "isc login iqn.2003-01.org.isc.lab:tgt-stores -p 127.0.0.3",
    ],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import shutil
    import tempfile

    import vm

    name = sys.argv[1]
    dest = Path(tempfile.mkdtemp()) / name
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        for step in SCENARIOS[name]:
            print("$", step)
            g.run(step).check()
        print(g.run("multipath -ll; lsblk; findmnt /srv/data").stdout)
        capture(g, dest)
    archive = Path(__file__).resolve().parents[1] / "fixtures" / "lab-root" / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(dest, arcname=name)
    shutil.rmtree(dest.parent)
    print("captured into", archive)
