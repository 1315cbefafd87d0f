"""TAB completion in real shells: bash, zsh and fish in tmux, typing like a sysadmin, reading what the shell shows.
Completion data comes from a snapshot of a real lab guest under --root (node records, sessions, devices)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "tests/fixtures/lab-root/multipath.tar.gz"


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("snap")
    with tarfile.open(SNAPSHOT) as tar:
        tar.extractall(dest, filter="tar")
    return dest / "multipath"


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 'isc' on PATH that runs this checkout with this interpreter."""
    d = tmp_path_factory.mktemp("bin")
    (d / "isc").write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m iscsi_client \"$@\"\n")
    (d / "isc").chmod(0o755)
    return d


class Tmux:
    def __init__(self, shell: list[str], env: dict[str, str]) -> None:
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed")
        self.name = f"isc-test-{os.getpid()}-{time.monotonic_ns()}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "200", "-y", "50", *shell],
                       check=True, env=env)

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], check=True, capture_output=True,
                              text=True).stdout

    def wait_for(self, needle: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not on screen:\n{text}")
            time.sleep(0.1)

    def tab_until(self, needle: str, tries: int = 4) -> str:
        """Press Tab until the shell shows ``needle`` (shells list candidates on the 2nd press)."""
        for _ in range(tries):
            self.send("Tab")
            try:
                return self.wait_for(needle, timeout=3)
            except AssertionError:
                continue
        return self.wait_for(needle, timeout=1)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _env(bin_dir: Path, home: Path) -> dict[str, str]:
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", HOME=str(home), TERM="xterm",
                PS1="$ ", LC_ALL="C.UTF-8")


def _completes_record_setting(t: Tmux, snap: Path) -> None:
    """A record setting: the name from the target's record, no space after '=', then the value typed on."""
    t.send(f"isc --root {snap} nodes set iqn.2003-01.org.isc.lab:multi node.session.timeo.repl")
    t.tab_until("replacement_timeout=")
    t.send("5")
    t.wait_for("node.session.timeo.replacement_timeout=5")
    t.send("C-u")


def _completes_paths(t: Tmux, tmp_path: Path) -> None:
    """File system values: --root takes a directory (a file of the same prefix is not offered), a secret
    file any file."""
    (tmp_path / "imgroot-dir").mkdir()
    (tmp_path / "imgroot-file").write_text("")
    (tmp_path / "chap-secret.txt").write_text("")
    t.send(f"isc --root {tmp_path}/imgro")
    t.tab_until(f"isc --root {tmp_path}/imgroot-dir/")
    t.send("C-u")
    t.send(f"isc chap iqn.2003-01.org.isc.lab:multi --password-file {tmp_path}/chap-se")
    t.tab_until("chap-secret.txt")


def test_bash_completes_commands_iqns_with_colons_and_portals(snap, bin_dir, tmp_path):
    rc = tmp_path / "bashrc"
    rc.write_text(f"PS1='$ '\nsource {REPO}/completions/isc\n")
    t = Tmux(["bash", "--noprofile", "--rcfile", str(rc), "-i"], _env(bin_dir, tmp_path))
    try:
        t.wait_for("$")
        t.send("isc lo")
        screen = t.tab_until("logout")
        assert "login" in screen
        t.send("C-u")
        t.send(f"isc --root {snap} login iqn.2003-01.org.isc.lab:mul")
        t.tab_until("login iqn.2003-01.org.isc.lab:multi")
        t.send(" -p 127.0.0.")
        screen = t.tab_until("127.0.0.2:3260")
        assert "127.0.0.1:3260" in screen
        t.send("C-u")
        # global options after the command: offered there, and --root there is where records are read
        t.send("isc status --js")
        t.tab_until("isc status --json")
        t.send("C-u")
        t.send(f"isc login --root {snap} iqn.2003-01.org.isc.lab:mul")
        t.tab_until(f"--root {snap} iqn.2003-01.org.isc.lab:multi")
        t.send("C-u")
        # discovery portals asked before, from the discovery records' directory names
        for d in ("send_targets/192.0.2.10,3260/st_config", "send_targets/192.0.2.11,3260/st_config",
                  "isns/192.0.2.99,3205/isns_config"):
            (snap / "etc/iscsi" / d).parent.mkdir(parents=True, exist_ok=True)
            (snap / "etc/iscsi" / d).touch()
        t.send(f"isc --root {snap} discover 192.0.2.")
        screen = t.tab_until("192.0.2.99:3205")
        assert "192.0.2.10:3260" in screen and "192.0.2.11:3260" in screen
        t.send("C-u")
        t.send(f"isc --root {snap} persist /dev/")
        screen = t.tab_until("/dev/sdb")
        assert "/dev/dm-0" in screen and "/dev/sda" in screen
        t.send("C-u")
        _completes_record_setting(t, snap)
        _completes_paths(t, tmp_path)
    finally:
        t.close()


def test_zsh_completes_with_descriptions(snap, bin_dir, tmp_path):
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    fpath = tmp_path / "zfunc"
    fpath.mkdir()
    shutil.copy(REPO / "completions/_isc", fpath / "_isc")
    (tmp_path / ".zshrc").write_text(f"PS1='%% '\nfpath=({fpath} $fpath)\nautoload -Uz compinit && compinit -u\n")
    env = _env(bin_dir, tmp_path) | {"ZDOTDIR": str(tmp_path)}
    t = Tmux(["zsh", "-i"], env)
    try:
        t.wait_for("%")
        t.send(f"isc --root {snap} login iqn")
        screen = t.tab_until("node record on 127.0.0.1, 127.0.0.2")
        assert "iqn.2003-01.org.isc.lab:multi" in screen
        t.send("C-u")
        t.send(f"isc --root {snap} logout --sid ")
        screen = t.tab_until("iqn.2003-01.org.isc.lab:multi on 127.0.0.2:3260")
        assert "iqn.2003-01.org.isc.lab:multi on 127.0.0.1:3260" in screen
        t.send("C-u")
        _completes_record_setting(t, snap)
        t.send("isc doctor explain ISC04")
        t.tab_until("fstab by kernel name")
        t.send("C-u")
        _completes_paths(t, tmp_path)
    finally:
        t.close()


def test_fish_completes_with_descriptions(snap, bin_dir, tmp_path):
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    conf = tmp_path / "config" / "fish"
    (conf / "completions").mkdir(parents=True)
    shutil.copy(REPO / "completions/isc.fish", conf / "completions" / "isc.fish")
    (conf / "config.fish").write_text("set -g fish_greeting ''\nfunction fish_prompt; echo '> '; end\n"
                                      "function fish_title; end\n")
    env = _env(bin_dir, tmp_path) | {"XDG_CONFIG_HOME": str(tmp_path / "config"),
                                     "XDG_DATA_HOME": str(tmp_path / "data")}
    t = Tmux(["fish", "-i"], env)
    try:
        t.wait_for(">")
        t.send("isc lo")
        screen = t.tab_until("logout")
        assert "login" in screen and "Log in" in screen  # fish shows each command's summary
        t.send("C-u")
        t.send(f"isc --root {snap} login iqn.2003-01.org.isc.lab:mul")
        t.tab_until("login iqn.2003-01.org.isc.lab:multi")
        t.send("C-u")
        _completes_record_setting(t, snap)
        _completes_paths(t, tmp_path)
    finally:
        t.close()


def test_checked_in_scripts_match_the_app():
    from iscsi_client.cli.completion import FILES, script

    for shell, name in FILES.items():
        assert (REPO / "completions" / name).read_text() == script(shell), (
            f"completions/{name} is out of date: isc completion show {shell} > completions/{name}")


def _isc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iscsi_client", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=60)


def test_install_system_honours_root_and_dry_run(tmp_path):
    dry = _isc("--root", str(tmp_path), "--dry-run", "completion", "install", "--shell", "bash", "--system")
    assert dry.returncode == 0, dry.stderr
    assert f"would write {tmp_path}/usr/share/bash-completion/completions/isc" in dry.stdout + dry.stderr
    assert not any(tmp_path.iterdir())

    done = _isc("--root", str(tmp_path), "completion", "install", "--shell", "bash", "--system")
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "usr/share/bash-completion/completions/isc"
    assert installed.read_text() == (REPO / "completions/isc").read_text()
    assert installed.stat().st_mode & 0o777 == 0o644
    fish = _isc("--root", str(tmp_path), "completion", "install", "--shell", "fish", "--system")
    assert fish.returncode == 0, fish.stderr
    assert (tmp_path / "usr/share/fish/vendor_completions.d/isc.fish").read_text() == \
        (REPO / "completions/isc.fish").read_text()


def test_install_for_the_user_goes_to_home_and_bash_loads_it(tmp_path, bin_dir):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "SHELL": "/bin/bash"}
    done = _isc("completion", "install", env=env)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "data/bash-completion/completions/isc"
    assert installed.is_file()
    # the installed script defines the completion function bash calls for isc
    probe = subprocess.run(["bash", "-c", f"source {installed} && complete -p isc"], capture_output=True,
                           text=True, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert probe.stdout.strip() == "complete -o nosort -F _isc_completion isc"


def test_install_for_the_user_under_root_is_refused(tmp_path):
    r = _isc("--root", str(tmp_path), "completion", "install", "--shell", "bash")
    assert r.returncode == 2
    assert "add --system" in r.stderr and "Traceback" not in r.stderr
    assert not any(tmp_path.iterdir())
