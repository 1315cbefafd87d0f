"""Host tests: the real iscsiadm and a real tgtd on 127.0.0.1, in a throwaway environment.

Every isc run happens in its own mount namespace where /etc/iscsi is a per-test copy and /sys/class holds a
fake 'tcp' transport (so iscsiadm's SendTargets discovery works without a kernel initiator). The host's own
/etc/iscsi is never touched. Login cannot work here (no kernel initiator): the lab tests cover it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hostenv import CHAP, CHAP_SECRET, CHAP_USER, INITIATOR, NOAUTH, PORT, HostEnv

pytestmark = pytest.mark.host


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "host tests need root"
    for tool in ("iscsiadm", "tgtd", "tgtadm", "unshare"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture(scope="session", autouse=True)
def _host_ready() -> None:
    why = _missing()
    if why:
        if os.environ.get("ISC_REQUIRE_HOST") == "1":
            pytest.fail(f"host tests required but {why}")
        pytest.skip(why)


def _tgtadm(*args: str) -> None:
    subprocess.run(["tgtadm", "--lld", "iscsi", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def tgtd(tmp_path_factory: pytest.TempPathFactory):
    """A real tgtd on 127.0.0.1:3260 with a target without auth and a CHAP target."""
    d = tmp_path_factory.mktemp("tgtd")
    proc = subprocess.Popen(["tgtd", "-f", "--iscsi", f"portal=127.0.0.1:{PORT}"],
                            stdout=open(d / "tgtd.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"tgtd did not start: {(d / 'tgtd.log').read_text()}") from None
            time.sleep(0.1)
    for tid, name in ((1, NOAUTH), (2, CHAP)):
        img = d / f"lun{tid}.img"
        img.write_bytes(b"")
        os.truncate(img, 64 << 20)
        _tgtadm("--op", "new", "--mode", "target", "--tid", str(tid), "-T", name)
        _tgtadm("--op", "new", "--mode", "logicalunit", "--tid", str(tid), "--lun", "1", "-b", str(img))
        _tgtadm("--op", "bind", "--mode", "target", "--tid", str(tid), "-I", "ALL")
    _tgtadm("--op", "new", "--mode", "account", "--user", CHAP_USER, "--password", CHAP_SECRET)
    _tgtadm("--op", "bind", "--mode", "account", "--tid", "2", "--user", CHAP_USER)
    yield proc
    # tgtd ignores SIGTERM while targets exist: take them offline, delete them, then stop it.
    for tid in (1, 2):
        subprocess.run(["tgtadm", "--lld", "iscsi", "--op", "update", "--mode", "target", "--tid", str(tid),
                        "-n", "state", "-v", "offline"], capture_output=True)
        subprocess.run(["tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", str(tid),
                        "--force"], capture_output=True)
    subprocess.run(["tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "system"], capture_output=True)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def host(tmp_path: Path) -> HostEnv:
    etc = tmp_path / "etc-iscsi"
    etc.mkdir()
    conf = Path("/etc/iscsi/iscsid.conf").read_text()
    conf = "\n".join("iscsid.startup = /bin/true" if ln.startswith("iscsid.startup") else ln
                     for ln in conf.splitlines())
    (etc / "iscsid.conf").write_text(conf + "\n")
    (etc / "initiatorname.iscsi").write_text(f"## made by the host tests\nInitiatorName={INITIATOR}\n")
    (etc / "ifaces").mkdir()
    (etc / "ifaces" / "lab").write_text(
        f"iface.iscsi_ifacename = lab\niface.transport_name = tcp\niface.initiatorname = {INITIATOR}\n")
    tcp = tmp_path / "sysclass" / "iscsi_transport" / "tcp"
    tcp.mkdir(parents=True)
    (tcp / "handle").write_text("1\n")
    (tcp / "caps").write_text("0x39\n")
    return HostEnv(tmp_path)
