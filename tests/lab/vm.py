"""Drive the lab guest: boot QEMU on a throwaway overlay, run commands over qemu-guest-agent, shut down.

Used by the lab tests (tests/lab/conftest.py), the demo (tests/lab/demo.py) and the lab benchmarks.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


SAVED_STATE = "isc-lab-ready"
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 systemd.show_status=0 net.ifnames=0"


class BootStalled(TimeoutError):
    """The guest did not become ready in time."""


class GuestCommandHung(TimeoutError):
    """A guest command outlived its ``timeout`` and the kill that follows it: a process stuck in D state
    (I/O queued on a lost iSCSI session, say), which no signal ends."""


# how long past its timeout a command may take to be reaped (timeout's -k 5, the agent noticing the exit)
REAP_GRACE = 60.0


class LabBootRetry(UserWarning):
    """A stalled boot was killed and made again."""


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    seconds: float

    def check(self) -> Result:
        if self.rc != 0:
            raise AssertionError(
                f"guest command failed rc={self.rc}: {' '.join(self.argv)}\n"
                f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
            )
        return self


def build_image(extra_packages: str = "") -> Path:
    """Build or reuse the cached lab image (with ``extra_packages``, comma-separated, a variant cached under
    its own key); returns its directory."""
    env = {**os.environ, "ISC_LAB_EXTRA_PACKAGES": extra_packages}
    out = subprocess.run(
        ["bash", str(HERE / "build_image.sh")], check=True, stdout=subprocess.PIPE, text=True, env=env
    ).stdout
    return Path(out.strip().splitlines()[-1])


def kvm_usable(image: Path) -> bool:
    """True when /dev/kvm really runs the lab kernel. A PVM-flavoured /dev/kvm opens fine but stock kernels
    die or hang on it, so the probe boots the lab kernel without a root disk and waits for its panic
    message (a few seconds). The answer is cached per host boot. ISC_LAB_ACCEL=tcg|kvm overrides."""
    forced = os.environ.get("ISC_LAB_ACCEL")
    if forced in ("tcg", "kvm"):
        return forced == "kvm"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    cached = image.parent / f"kvm-probe-{boot_id}"
    if cached.exists():
        return cached.read_text() == "kvm"
    try:
        probe = subprocess.run(
            ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "256", "-nographic", "-nodefaults",
             "-no-reboot", "-serial", "stdio", "-kernel", str(image / "vmlinuz"),
             "-append", "console=ttyS0 panic=-1 root=/dev/nonexistent"],
            capture_output=True, text=True, timeout=15,
        )
        works = "Kernel panic" in probe.stdout or "VFS:" in probe.stdout
    except (OSError, subprocess.TimeoutExpired):
        works = False
    cached.write_text("kvm" if works else "tcg")
    return works


@contextlib.contextmanager
def site() -> Iterator[Path]:
    """site_dir() for one ``with`` block, removed after it (the benchmarks and helper scripts)."""
    share = site_dir()
    try:
        yield share
    finally:
        shutil.rmtree(share, ignore_errors=True)


def site_dir() -> Path:
    """isc and its pure-Python dependencies, installed from the working tree into a directory the guest
    imports from (the guest has no network). Rebuilt on every call: it takes a few seconds."""
    target = Path(tempfile.mkdtemp(prefix="isc-lab-site-"))
    # Build from a copy holding only what the package needs: the checkout also holds test fixtures.
    src = target / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for tree in ("iscsi_client", "man", "completions", "systemd", "prometheus"):
        shutil.copytree(REPO / tree, src / tree, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target / "site"),
         "--no-warn-script-location", str(src)],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"installing isc for the guest failed:\n{done.stdout}\n{done.stderr}")
    shutil.rmtree(src)
    # One tar file crosses 9p quickly; thousands of small files (and Python's stat calls on each import)
    # do not: isc started from the 9p share took 2.6 s under TCG, from the guest's disk 1.35 s.
    subprocess.run(["tar", "-cf", str(target / "site.tar"), "-C", str(target), "site"], check=True)
    shutil.rmtree(target / "site")
    # what pip's console script for isc does (no shell in between, no runpy: `python3 -m` costs about 30 ms of
    # every isc process under TCG that an installed isc does not pay), with the site dir on the path
    (target / "isc").write_text(
        "#!/usr/bin/python3\nimport sys\nsys.path.insert(0, '/opt/isc/site')\n"
        "from iscsi_client.cli.entry import main\nsys.exit(main())\n"
    )
    (target / "isc").chmod(0o755)
    return target


class Guest:
    """One running lab guest. Use as a context manager; exit always shuts it down cleanly."""

    def __init__(self, image: Path, *, share: Path, disk: Path | None = None, memory: int = 2048,
                 saved: Path | None = None, netboot: Path | None = None) -> None:
        """``saved``: a disk holding the saved VM state ``SAVED_STATE`` (made by :meth:`save`); the first
        start copies it and resumes from it (a few seconds) instead of booting (about 30 s). A reboot boots.
        ``netboot``: a directory with a boot.ipxe; the guest boots through QEMU's iPXE network ROM on a user
        network (10.0.2.15, the host's loopback as 10.0.2.2), which fetches it by TFTP from that directory
        (the iBFT lab: tests/lab/ibft.py)."""
        self.netboot = netboot
        self.image = image
        self.share = share
        self.memory = memory
        self.dir = Path(tempfile.mkdtemp(prefix="isc-lab-vm-"))
        self.disk = disk or self.dir / "overlay.qcow2"
        self.saved = saved
        self.qga_path = self.dir / "qga.sock"
        self.qmp_path = self.dir / "qmp.sock"
        self.console = self.dir / "console.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ids = itertools.count(int(time.time()) % 100000 * 1000)
        self.boot_seconds = 0.0

    # lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout: float = 150, attempts: int = 2) -> Guest:
        """Boot, then wait for the agent and for the lab target. A boot that stalls is killed and made again
        (a fresh overlay unless the disk is the caller's), with a warning that carries the console's last
        lines. A normal boot is ready in about 30 s under TCG; one CI run had a guest whose agent never
        answered in 240 s (55 boots here, some beside a busy core, were all ready in 26-60 s)."""
        for attempt in range(1, attempts + 1):
            try:
                return self._boot(timeout)
            except BootStalled as stalled:
                tail = self.console_tail()
                self._kill()
                if attempt == attempts:
                    raise BootStalled(
                        f"{stalled} (boot {attempt} of {attempts}); the console ends with:\n{tail}"
                    ) from None
                warnings.warn(LabBootRetry(f"{stalled}; booting again. The console ended with:\n{tail}"),
                              stacklevel=2)
                if self.disk == self.dir / "overlay.qcow2":
                    self.disk.unlink(missing_ok=True)
                self.saved = None  # the second attempt boots
                self.console.unlink(missing_ok=True)
                self.qga_path.unlink(missing_ok=True)
                self.qmp_path.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _boot(self, timeout: float) -> Guest:
        resume = self.saved is not None
        if resume:
            assert self.saved is not None
            shutil.copyfile(self.saved, self.disk)
            self.saved = None  # once: a reboot later boots the disk as it is then
        elif not self.disk.exists():
            subprocess.run(
                ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(self.image / "root.img"), "-F", "raw",
                 str(self.disk)], check=True,
            )
        # TCG: the plain qemu64 model, not "max", which runs the guest slower here (likely the emulated vector
        # extensions that glibc's string functions pick when the CPU offers them). Measured over two boots of
        # each: python3 -c pass 0.25-0.29 s with max against 0.21-0.23 s, isc --json status 1.43-1.76 s against
        # 1.23-1.49 s, the boot 31-32 s against 25-29 s; max without avx and avx2 lay in between. Nothing the
        # lab tests depends on the CPU model.
        accel = ["-accel", "kvm", "-cpu", "host"] if kvm_usable(self.image) else ["-accel", "tcg", "-cpu", "qemu64"]
        argv = [
            "qemu-system-x86_64", *accel, "-smp", "2", "-m", str(self.memory), "-nographic", "-nodefaults",
            "-no-reboot",
            *(["-nic", f"user,model=virtio-net-pci,tftp={self.netboot},bootfile=boot.ipxe", "-boot", "n"]
              if self.netboot else
              ["-kernel", str(self.image / "vmlinuz"), "-initrd", str(self.image / "initrd.img"),
               "-append", KERNEL_ARGS, "-nic", "none"]),
            "-drive", f"file={self.disk},if=virtio,format=qcow2,cache=unsafe",
            "-serial", f"file:{self.console}",
            "-virtfs", f"local,path={self.share},mount_tag=host,security_model=none,readonly=on",
            "-chardev", f"socket,path={self.qga_path},server=on,wait=off,id=qga0",
            "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            *(["-loadvm", SAVED_STATE] if resume else []),
        ]
        t0 = time.monotonic()
        deadline = t0 + timeout
        with open(self.dir / "qemu.err", "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        self._wait_agent(deadline)
        if resume:  # the guest's clock stopped when its state was saved
            self._send({"execute": "guest-set-time", "arguments": {"time": time.time_ns()}})
        self.run("mount -t 9p -o trans=virtio,version=9p2000.L,ro host /mnt/host").check()
        # the launcher is copied, as pip installs one, not linked to the share: Python puts the script's own
        # directory first on sys.path, and every import would look it up over 9p
        self.run("rm -rf /opt/isc && mkdir -p /opt/isc && tar -xf /mnt/host/site.tar -C /opt/isc && "
                 "install -m 0755 /mnt/host/isc /usr/local/bin/isc").check()
        # The lab target is built by a boot unit; wait for it, and for udev to settle.
        left = max(10, int(deadline - time.monotonic()))
        ready = self.run(f"timeout {left} sh -c 'until [ -e /run/isc-lab-target.ready ]; do sleep 0.2; done'")
        if ready.rc != 0:
            raise BootStalled(f"the lab target was not ready {timeout:.0f} s after QEMU started")
        self.boot_seconds = time.monotonic() - t0
        return self

    def save(self, path: Path) -> Path:
        """Save this freshly booted guest's state (VM state ``SAVED_STATE`` inside its qcow2 disk), power it
        off and move the disk to ``path``, for ``Guest(..., saved=path)``. The 9p share is unmounted first:
        QEMU refuses to save a guest that has it mounted."""
        self.run("umount /mnt/host && rm -f /usr/local/bin/isc").check()
        self._monitor(f"savevm {SAVED_STATE}")
        try:
            self._qmp({"execute": "quit"})
        except ConnectionError:  # QEMU may close the socket before its reply
            pass
        assert self.proc is not None
        self.proc.wait(timeout=60)
        self._kill()
        shutil.move(self.disk, path)
        return path

    def _qmp(self, cmd: dict[str, object], timeout: float = 120) -> object:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(self.qmp_path))
            reader = s.makefile("rb")
            reader.readline()  # the greeting
            for request in ({"execute": "qmp_capabilities"}, cmd):
                s.sendall(json.dumps(request).encode() + b"\n")
                while True:
                    msg = json.loads(reader.readline() or b"{}")
                    if "error" in msg:
                        raise RuntimeError(f"QMP {request['execute']}: {msg['error']}")
                    if "return" in msg:
                        break
                    if not msg:
                        raise ConnectionError("QMP socket closed")
            return msg["return"]

    def _monitor(self, line: str) -> None:
        said = self._qmp({"execute": "human-monitor-command", "arguments": {"command-line": line}})
        if said:  # the monitor prints nothing on success
            raise RuntimeError(f"QEMU monitor `{line}`: {said}")

    def console_tail(self, lines: int = 25) -> str:
        try:
            text = self.console.read_text(errors="replace")
        except OSError:
            return "(no console output)"
        return "\n".join(text.splitlines()[-lines:])

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self._sock:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Guest:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def stop(self, timeout: float = 90) -> None:
        """Tear down iSCSI state first (unmount, flush maps, log out), then power off."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.run(
                    "for m in $(findmnt -rn -o TARGET -t xfs,ext4 | grep -v '^/$'); do umount -l $m; done;"
                    " multipath -F >/dev/null 2>&1; iscsiadm -m node --logoutall=all >/dev/null 2>&1; sync",
                    timeout=60,
                )
                self._send({"execute": "guest-shutdown", "arguments": {"mode": "powerdown"}}, expect=False)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill()

    def reboot(self, timeout: float = 150) -> None:
        """Power off cleanly and boot the same disk again (the reboot scenario)."""
        self.stop()
        self.start(timeout)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # agent protocol -----------------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(self.qga_path))
        return s

    def _recv_line(self, deadline: float) -> dict[str, object] | None:
        assert self._sock is not None
        buf = getattr(self, "_buf", b"")
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._buf = buf
                return None
            self._sock.settimeout(min(remaining, 1.0))
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionError("guest agent socket closed")
            buf += chunk
        line, _, rest = buf.partition(b"\n")
        self._buf = rest
        line = line.strip().lstrip(b"\xff")
        return json.loads(line) if line else {}

    def _wait_agent(self, deadline: float) -> None:
        while not self.qga_path.exists():
            self._check_alive()
            if time.monotonic() > deadline:
                raise BootStalled("QEMU did not create the agent socket")
            time.sleep(0.1)
        self._sock = self._connect()
        self._buf = b""
        # Requests sent before the agent runs are answered later: resend guest-sync with a fresh id
        # and accept only the reply carrying the latest id.
        while True:
            self._check_alive()
            if time.monotonic() > deadline:
                raise BootStalled("the guest agent did not answer before the boot deadline")
            sync_id = next(self._ids)
            self._sock.settimeout(2.0)
            try:
                self._sock.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited",
                                                          "arguments": {"id": sync_id}}).encode())
            except TimeoutError:
                continue
            until = time.monotonic() + 1.0
            while time.monotonic() < until:
                msg = self._recv_line(until)
                if msg and msg.get("return") == sync_id:
                    return

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            err = (self.dir / "qemu.err").read_text(errors="replace")
            raise RuntimeError(f"QEMU exited with {self.proc.returncode}: {err[-2000:]}")

    def _send(self, cmd: dict[str, object], expect: bool = True, timeout: float = 30) -> object:
        assert self._sock is not None
        self._sock.sendall(json.dumps(cmd).encode())
        if not expect:
            return None
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv_line(deadline)
            if msg is None:
                raise TimeoutError(f"no agent reply to {cmd['execute']}")
            if "error" in msg:
                raise RuntimeError(f"agent error for {cmd['execute']}: {msg['error']}")
            if "return" in msg:
                return msg["return"]

    # commands ------------------------------------------------------------------------------------
    def run(self, command: str | list[str], *, timeout: float = 300, stdin: str | None = None,
            env: dict[str, str] | None = None) -> Result:
        """Run a command in the guest (a string goes through /bin/sh -c). Never raises on rc != 0; raises
        GuestCommandHung when the command is still there ``REAP_GRACE`` seconds after its timeout."""
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        full = ["timeout", "-k", "5", str(int(timeout)), *argv]
        args: dict[str, object] = {"path": full[0], "arg": full[1:], "capture-output": True}
        environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "LC_ALL": "C", "HOME": "/root", "TERM": "dumb"}
        environment.update(env or {})
        args["env"] = [f"{k}={v}" for k, v in environment.items()]
        if stdin is not None:
            args["input-data"] = base64.b64encode(stdin.encode()).decode()
        t0 = time.monotonic()
        pid = self._send({"execute": "guest-exec", "arguments": args})["pid"]  # type: ignore[index]
        delay = 0.01
        while True:
            status = self._send({"execute": "guest-exec-status", "arguments": {"pid": pid}})
            assert isinstance(status, dict)
            if status.get("exited"):
                break
            if time.monotonic() - t0 > timeout + REAP_GRACE:
                raise GuestCommandHung(
                    f"guest command still running {time.monotonic() - t0:.0f} s after it started, though "
                    f"`timeout` was to kill it at {timeout:.0f} s (unkillable: D state?): {' '.join(argv)}\n"
                    f"console:\n{self.console_tail()}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
        out = base64.b64decode(status.get("out-data", "")).decode(errors="replace")
        err = base64.b64decode(status.get("err-data", "")).decode(errors="replace")
        rc = status.get("exitcode", 128 + int(status.get("signal", 0)))
        return Result(tuple(argv), int(rc), out, err, time.monotonic() - t0)

    def isc(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> Result:
        """Run the isc from the working tree inside the guest."""
        return self.run(["isc", *args], stdin=stdin, env=env, timeout=timeout)
