"""Hostile input everywhere (issue 16): every command and option of isc's real command tree, with hostile
values (empty, huge, unicode and bidi controls, newlines, shell metacharacters, paths outside the root,
malformed IQNs and portals, out-of-range numbers), run under --root over hostile file trees (truncated and
binary node records, garbage in fstab, iscsid.conf, multipath files, sysfs attributes and mountinfo, and a
real lab snapshot). Every case must end with a documented exit code and no traceback, and under --json
print exactly one JSON document.

The cases run in this process through isc's own entry point (``main``, what the installed ``isc`` runs), a
few thousand in well under a minute; tests/host/test_packaging.py runs the installed script itself. Every
value is confined to a scratch directory: no case can write outside it, whatever options it draws.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tarfile
from collections import Counter
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refdata import FIXTURES

from iscsi_client.cli.app import command
from iscsi_client.cli.entry import main
from iscsi_client.errors import EXIT_CODES

CASES = int(os.environ.get("ISC_FUZZ_CASES", "4000"))
SEEN: Counter[str] = Counter()
ALLOWED = set(EXIT_CODES) | {130}

# commands that would wait for a person (a prompt for a secret is answered by closed stdin, which is fine)
SKIP_OPTIONS = {"--root", "--help", "-h", "--install-completion", "--show-completion"}


def _walk(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = [(path, cmd)] if path else []
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            out += _walk(sub, (*path, name))
    return out


TREE = [(p, c) for p, c in _walk(command(None)) if not isinstance(c, click.Group) or p]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "a/b/c/d/e/f").mkdir(parents=True)  # the working directory: '../../x' stays inside
    (base / "outside").mkdir()
    (base / "outside/not-an-isc-dump").write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    (base / "outside/binary").write_bytes(bytes(range(256)) * 8)
    _roots(base)
    return base


def _roots(base: Path) -> None:
    """Hostile trees for --root: empty, garbage everywhere, truncated records, and a real lab snapshot."""
    (base / "root-empty").mkdir()
    g = base / "root-garbage"
    garbage = {
        "etc/fstab": b"\xff\xfe UUID=\x00 /mnt xfs\n#\xe9t\xe9\n/dev/sda\n" + b"x" * 5000 + b"\n\t\t\n",
        "etc/iscsi/initiatorname.iscsi": b"InitiatorName=\xe9\xff\nInitiatorName=\n",
        "etc/iscsi/iscsid.conf": b"node.startup = \xff\nnode.session.auth.password\n=\n" + bytes(range(256)),
        "etc/iscsi/nodes/iqn.2003-01.org.x:t/10.0.0.1,3260,1/default": b"# BEGIN RECORD 2.1.8\nnode.name = ",
        "etc/iscsi/nodes/iqn.bad name/999.1.1.1,99999/default": bytes(range(256)),
        "etc/iscsi/nodes/\xe9/x,y": b"node.conn[0].address = [::1\n",
        "etc/iscsi/send_targets/1.2.3.4,3260/st_config": b"discovery.sendtargets.address = \n\x00\x00",
        "etc/iscsi/ifaces/eth9": b"iface.iscsi_ifacename = \nface.net_ifacename = \xff\n",
        "etc/multipath/conf.d/isc.conf": b"devices {\n\tdevice {\n\t\tvendor \"\n",
        "etc/multipath/wwids": b"/3600\xff/\n/\n//\n",
        "proc/self/mountinfo": b"36 35 98:0 /mnt1 /mnt2 rw - ext3\n\xff\n1 2\n",
        "sys/class/iscsi_session/session1/targetname": b"\xff\xfe",
        "sys/class/iscsi_session/session1/state": b"\x00",
        "sys/class/iscsi_session/session1/tpgt": b"-99999999999999999999",
        "sys/class/iscsi_session/sessionX/targetname": b"iqn.2003-01.org.x:t",
        "sys/class/iscsi_connection/connection1:0/persistent_address": b"not-an-address",
        "sys/class/iscsi_connection/connection1:0/persistent_port": b"65536",
        "sys/firmware/ibft/target0/target-name": b"\xff",
        "sys/firmware/ibft/target0/ip-addr": b"999.999.1.1",
        "sys/firmware/ibft/target0/port": b"port",
        "sys/firmware/ibft/ethernet0/prefix-len": b"-1",
        "run/udev/data/b8:0": b"E:ID_SERIAL=\xff\nS:\n",
    }
    for rel, data in garbage.items():
        p = g / os.fsdecode(rel.encode("utf-8", "surrogateescape"))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (g / "etc/iscsi/nodes/a-file-not-a-dir").write_bytes(b"")
    with tarfile.open(FIXTURES / "lab-root" / "tgt.tar.gz") as tar:
        tar.extractall(base, filter="tar")
    snap = base / "tgt"
    for rel in ("etc/iscsi/initiatorname.iscsi",):
        (snap / rel).write_bytes((snap / rel).read_bytes()[:9])  # truncated mid-line
    (snap / "proc/self/mountinfo").write_bytes(b"\xff garbage\n")


STRINGS = ["", " ", "x" * 5000, "\u00e9t\u00e9 \u202eevil", "a\nb", "a\rb", "\t", "$(reboot)", "`id`", "; rm -rf ~",
           "| cat", "&&", "'", '"', "\\", "--", "-", "--json", "-n", "*", "?", "~", "%s%n", "{}", "[]",
           "../../escape", "iqn.", "iqn.2003-01.org.isc.lab:multi", "iqn.2003-01.org.isc.lab:" + "y" * 300,
           "iqn.1900-13.x:t", "eui.ZZZ", "naa.", "IQN.2003-01.ORG.X:T", "127.0.0.1", "127.0.0.1:99999",
           "127.0.0.1:0", "[::1]:3260", "[::1", "::1:3260:1", "256.1.1.1", "host:port", "a" * 64 + ".example",
           "-1", "0", "1", "2048", "99999999999999999999", "nan", "inf", "1e309", "0x10", "automatic", "manual",
           "onboot", "bash", "zsh", "fish", "pwsh", "xfs", "ext4", "vfat", "node.startup=automatic",
           "node.session.auth.password=secret", "=", "a=b=c", "node.session.queue_depth=0",
           "iqn.2003-01.org.isc.lab:multi/0", "iqn.2003-01.org.isc.lab:multi/x", "/dev/sda", "/dev/../dev/null",
           "/mnt/x", "relative/mnt", "\u0000"[:0] + "\ufeff", "\udcff"]
INTS = ["-1", "0", "1", "7", "256", "257", "65536", "99999999999999999999", "1.5", "abc", ""]


def _paths(base: Path) -> list[str]:
    return ["-", "", "out.toml", "../../rel-out", str(base / "outside/new-file"), str(base / "outside"),
            str(base / "outside/not-an-isc-dump"), str(base / "outside/binary"), str(base / "outside/no/such/dir/f"),
            str(base / "outside" / ("n" * 300)), str(base / "outside/with\nnewline")]


def _values(param: click.Parameter, base: Path) -> st.SearchStrategy[str]:
    t = param.type
    if isinstance(t, click.Choice):
        return st.sampled_from([*map(str, t.choices), "", "nope"])
    if isinstance(t, click.IntRange | click.FloatRange) or t.name in ("integer", "float"):
        return st.sampled_from(INTS)
    if isinstance(t, click.Path | click.File) or (param.metavar or "").upper() in ("FILE", "PATH", "DIR"):
        return st.sampled_from(_paths(base))
    return st.sampled_from(STRINGS + _paths(base)[:4]) | st.text(max_size=40)


@st.composite
def cases(draw: st.DrawFn, base: Path) -> list[str]:
    path, cmd = draw(st.sampled_from(TREE))
    argv: list[str] = []
    if draw(st.booleans()):
        argv.append("--json")
    if draw(st.integers(0, 3)) == 0:
        argv.append("--dry-run")
    argv += ["--root", str(base / draw(st.sampled_from(["root-empty", "root-garbage", "tgt"])))]
    argv += list(path)
    params = [p for p in cmd.params if not any(o in SKIP_OPTIONS for o in getattr(p, "opts", []))]
    for p in draw(st.lists(st.sampled_from(params), max_size=4, unique_by=lambda p: p.name)) if params else []:
        if isinstance(p, click.Argument):
            n = 1 if p.nargs == 1 else draw(st.integers(0, 3))
            argv += [draw(_values(p, base)) for _ in range(n)]
        elif isinstance(p, click.Option):
            opt = draw(st.sampled_from(p.opts))
            if p.is_flag or p.count:
                argv.append(opt)
            else:
                argv += [opt, draw(_values(p, base))]
    SEEN[" ".join(path)] += 1
    return argv


class Hung(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hung


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, out.getvalue(), err.getvalue()


def test_every_command_is_in_the_tree():
    names = {" ".join(p) for p, _ in TREE}
    for expected in ("discover", "login", "logout", "chap", "persist", "unpersist", "config dump",
                     "config restore", "doctor", "status", "multipath config", "connect", "apply", "metrics"):
        assert expected in names


def test_hostile_argv_and_files(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scratch / "a/b/c/d/e/f")
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(scratch / "outside"))
    for var in ("ISC_CHAP_PASSWORD", "ISC_DISCOVERY_CHAP_PASSWORD", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    codes: Counter[int] = Counter()

    @settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(cases(scratch))
    def one(argv: list[str]) -> None:
        code, out, err = run(argv)
        codes[code] += 1
        assert "Traceback" not in out + err, (argv, err[-3000:])
        assert code in ALLOWED, (argv, code, out[-500:], err[-500:])
        if "--json" in argv[:2] and "--help" not in argv and code != 130:
            assert out.strip(), (argv, code, err[-500:])
            json.loads(out)  # exactly one document
        root = Path(argv[argv.index("--root") + 1])
        assert root.is_relative_to(scratch)

    one()
    print(f"\nargv fuzz: {sum(codes.values())} cases over {len(SEEN)} commands; "
          f"exit codes {dict(sorted(codes.items()))}")
    assert len(SEEN) >= len(TREE) * 0.9  # nearly every command drawn
