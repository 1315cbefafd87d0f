"""Every TAB press and every command pays for the imports of the CLI: heavy modules load only where needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def loaded_after(statement: str, mods: tuple[str, ...], *, bare: bool = False) -> list[str]:
    """The modules of ``mods`` loaded once ``statement`` ran. ``bare``: without site-packages and their start-up
    hooks (an editable install's finder loads pathlib, and with it ipaddress, before any isc code runs), the
    way a TAB press or the lab guest's isc starts; for modules isc needs nothing outside the standard library."""
    code = f"import sys; {statement}; print(' '.join(m for m in {mods!r} if m in sys.modules))"
    argv, env = ([sys.executable, "-S", "-c", code], {"PYTHONPATH": str(REPO)}) if bare else \
        ([sys.executable, "-c", code], None)
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout.split()


def test_cli_import_leaves_heavy_modules_unloaded():
    assert loaded_after("import iscsi_client.cli.app", ("pyudev", "rich", "tomli_w", "prometheus_client")) == []


def test_tables_in_a_pipe_do_not_load_rich(tmp_path):
    """Scripts and `| grep` get plain tables: rich costs ~40 ms of start-up (0.45 s in the TCG lab)."""
    (tmp_path / "etc/iscsi/nodes").mkdir(parents=True)
    code = ("import sys, runpy, atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in ('rich',) "
            "if m in sys.modules)));"
            f"sys.argv=['isc', '--root', {str(tmp_path)!r}, 'nodes']; runpy.run_module('iscsi_client', "
            "run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.startswith("no node records")
    assert r.stderr.strip() == ""


def test_a_command_imports_its_own_module_and_no_other_commands():
    """`isc status` builds and imports only cli/status.py: each other command module costs start-up time."""
    others = ("connect", "discover", "nodes", "chap", "login", "iface", "tune", "bench", "metrics", "config",
              "multipath", "persist", "doctor", "initiator", "rescan", "sessions", "startup")
    mods = tuple(f"iscsi_client.cli.{m}" for m in (*others, "status"))
    loaded = loaded_after("from iscsi_client.cli.app import command; command(['--json', 'status'])", mods)
    assert loaded == ["iscsi_client.cli.status"]
    assert loaded_after("from iscsi_client.cli.app import command; command(['--help'])", mods) == []
    everything = loaded_after("from iscsi_client.cli.app import command; command()", mods)
    assert sorted(everything) == sorted(mods)


@pytest.mark.parametrize("words", [["login", "--help"], ["--help"], ["nodes", "set", "-h"]])
def test_help_screens_load_no_rich(words: list[str]):
    """isc's help is plain text drawn by click: typer's rich renderer and rich itself were about 40 ms of the
    105 ms `isc --help` took (bench/README.md). The sections are still there."""
    code = ("import sys, runpy, atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in sys.modules "
            "if m.split('.')[0] in ('rich', 'markdown_it', 'pygments') or m == 'typer.rich_utils')));"
            f"sys.argv=['isc', *{words!r}]; runpy.run_module('iscsi_client', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"})
    assert r.stdout.startswith(f"Usage: isc {' '.join(w for w in words if not w.startswith('-'))}".rstrip())
    assert ("\nGlobal options (also before the command):\n" in r.stdout) == (words != ["--help"])
    assert r.stderr.strip() == ""


def test_status_loads_no_module_for_running_tools(tmp_path):
    """status only reads sysfs and the udev database: the iscsiadm runner, the command runner and the outcome
    records of the commands that change things are not imported (each costs start-up, most under TCG)."""
    mods = ("iscsi_client.system.iscsiadm", "iscsi_client.system.commands", "iscsi_client.ops.outcome",
            "iscsi_client.ops.login")
    code = ("import sys, runpy, atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in "
            f"{mods!r} if m in sys.modules)));"
            f"sys.argv=['isc', '--root', {str(tmp_path)!r}, '--json', 'status']; runpy.run_module('iscsi_client', "
            "run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.startswith('{"schema_version": 1, "targets": []')
    assert r.stderr.strip() == ""


def test_commands_that_change_things_load_no_typing_sockets_or_hashes():
    """discover, login, connect and the readers pay for every module at each start (about 0.7 s of imports for
    connect in the TCG lab guest before these went): typing, socket (a portal probe), secrets with hmac and
    hashlib (a new initiator name), concurrent.futures with logging (fanout runs plain threads) load only where
    used, and dataclasses with inspect not at import (connect's reports are mutable records)."""
    mods = ("typing", "socket", "secrets", "hashlib", "concurrent.futures", "logging", "dataclasses", "ipaddress")
    for module in ("iscsi_client.cli.connect_run", "iscsi_client.cli.discover_run", "iscsi_client.cli.login_run",
                   "iscsi_client.cli.readers", "iscsi_client.ops.connect", "iscsi_client.ops.multipath_config",
                   "iscsi_client.ops.persist", "iscsi_client.ops.status", "iscsi_client.ops.teardown",
                   "iscsi_client.ops.firmware"):
        assert loaded_after(f"import {module}", mods, bare=True) == [], module


def test_status_of_a_lab_snapshot_loads_neither_dataclasses_nor_typing(tmp_path):
    """Records make their dataclass metadata only when asked (dataclasses imports inspect: 60 ms of every
    status in the TCG lab guest, 7 ms here); the whole status of two sessions and a map runs without them."""
    from refdata import lab_snapshot

    root = lab_snapshot(tmp_path)
    mods = ("dataclasses", "inspect", "typing")
    code = ("import sys, runpy, atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in "
            f"{mods!r} if m in sys.modules)));"
            f"sys.argv=['isc', '--root', {str(root)!r}, '--json', 'status']; runpy.run_module('iscsi_client', "
            "run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert '"target": "iqn.' in r.stdout and '"sessions": [' in r.stdout, r.stdout[:300]
    assert r.stderr.strip() == ""


def test_the_direct_commands_run_without_pathlib(tmp_path):
    """pathlib with what it imports (fnmatch, urllib.parse) is about 35 ms of each start in the TCG lab guest,
    json about 20 ms:
    the commands run many times a minute or across dozens of targets work on plain path strings. Run with -S
    and the checkout on sys.path: an editable install's import hook loads pathlib before isc does."""
    from refdata import lab_snapshot

    root = str(lab_snapshot(tmp_path))
    import site

    # the checkout first, then site-packages as plain directories (their .pth files, the hook, are not run)
    paths = [str(Path(__file__).resolve().parents[2]), *site.getsitepackages()]
    for words in (["--json", "status"], ["status"], ["sessions"], ["--json", "doctor", "--no-mtu"], ["metrics"],
                  ["--dry-run", "login", "--all"],
                  ["--dry-run", "logout", "--all", "--teardown", "--unmount"],
                  ["--dry-run", "discover", "127.0.0.1", "--login"],
                  ["--dry-run", "connect", "127.0.0.1", "--target", "iqn.2003-01.org.isc.lab:chap"]):
        code = (f"import sys; sys.path[:0] = {paths!r}; import atexit; atexit.register(lambda: "
                "sys.stderr.write(('json ' if 'json' in sys.modules else '') + "
                "('LOADED' if 'pathlib' in sys.modules else 'NOT LOADED'))); "
                f"sys.argv = ['isc', '--root', {root!r}, *{words!r}]; "
                "from iscsi_client.cli.entry import main; main()")
        r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
        assert r.stderr.endswith("NOT LOADED"), (words, r.stderr[-500:])
        # nor json, where the answer is no JSON (metrics: prometheus_client imports it): the command table is a
        # compiled module (cli/tab_table.py), multipathd's and ip's JSON answers are read where they come in
        assert r.stderr.endswith("json NOT LOADED") == ("--json" in words or "metrics" in words), \
            (words, r.stderr[-500:])
        # the command ran: it answered, or (login, logout) read the records and sessions and stopped at the
        # first command it would run, which --root refuses
        assert "Traceback" not in r.stderr and (r.stdout.strip() or "needs the live host" in r.stderr), words


def test_a_portal_probe_loads_no_idna_codec_and_multipath_planning_no_difflib():
    """discover probes every portal it finds: a str host makes getaddrinfo load the idna codec (with stringprep
    and unicodedata, about 30 ms in the TCG lab guest); the probe of an ASCII name does not, and neither it
    nor the udev monitor of a login's device wait loads socket.py (its enums: about 20 ms there). Neither does
    importing the multipath planner load difflib (only a shown diff needs it)."""
    probe = ("from iscsi_client.model import Portal; from iscsi_client.system.net import tcp_reachable; "
             "tcp_reachable(Portal('127.0.0.1', 9), 0.5); tcp_reachable(Portal('localhost', 9), 0.5)")
    assert loaded_after(probe, ("encodings.idna", "stringprep", "unicodedata", "socket")) == []
    assert loaded_after("import iscsi_client.ops.multipath_config", ("difflib",)) == []


def test_running_iscsiadm_and_other_tools_loads_no_subprocess():
    """Every discover, login, logout and connect runs iscsiadm: subprocess with signal and selectors was about
    0.05-0.1 s of each in the TCG lab guest; system/spawn.py runs the programs without them."""
    run = ("from iscsi_client.system.root import Root; from iscsi_client.system.iscsiadm import Iscsiadm; "
           "from iscsi_client.system.udev_monitor import UdevMonitor; "
           "UdevMonitor('block', receive_buffer=1 << 20).close(); "
           "from iscsi_client.system.commands import Commands; "
           "Iscsiadm(Root(), binary='/bin/true').run(['-m', 'session'], mutating=False, action='test'); "
           "Commands(Root()).run(['true'], mutating=False, action='test')")
    assert loaded_after(run, ("subprocess", "signal", "selectors", "socket"), bare=True) == []


def test_what_every_login_runs_loads_no_threading_contextlib_shlex_or_importlib(tmp_path):
    """A discover --login: the command's dispatch, the probe of its portals (addresses, not names), iscsiadm
    without -v, the host lock, the progress line. threading, contextlib, shlex and importlib were about a
    third of a Python start-up of every such command in the TCG lab guest."""
    (tmp_path / "etc/iscsi").mkdir(parents=True)
    run = ("import os; sys.stdout = open(os.devnull, 'w'); from iscsi_client.cli.direct import run; "
           f"run(['--root', {str(tmp_path)!r}, 'sessions']); sys.stdout = sys.__stdout__; "
           "from iscsi_client.model import Portal; from iscsi_client.system.net import probe_portals; "
           "probe_portals([Portal('127.0.0.1', 9), Portal('::1', 9), Portal('127.0.0.1', 10)], 0.5); "
           "from iscsi_client.system.root import Root; from iscsi_client.system.iscsiadm import Iscsiadm; "
           "Iscsiadm(Root(), binary='/bin/true').run(['-m', 'session'], mutating=False, action='test'); "
           f"from iscsi_client.system.lock import host_lock; h = host_lock(Root({str(tmp_path)!r})); "
           "h.__enter__(); h.__exit__(None, None, None); "
           "from iscsi_client.cli.progress import progress_display; p = progress_display(enabled=True); "
           "p.__enter__(); p.__exit__(None, None, None)")
    assert loaded_after(run, ("threading", "contextlib", "shlex", "importlib"), bare=True) == []


@pytest.mark.parametrize("words", [["sessions"], ["nodes"], ["sessions", "--bogus"]])
def test_a_finished_command_leaves_its_objects_out_of_the_exits_collections(tmp_path, words: list[str]):
    """Python's exit runs its cyclic collector over every object isc made (about 20 ms of each command in the
    TCG lab guest): once a command is done, direct or through the tree, and also after a usage error, what it
    made is frozen out of those collections, and its output is complete."""
    (tmp_path / "etc/iscsi/nodes").mkdir(parents=True)
    code = ("import sys, atexit, gc; atexit.register(lambda: sys.stderr.write(f'FROZEN {gc.get_freeze_count()}'));"
            f"sys.argv = ['isc', '--root', {str(tmp_path)!r}, *{words!r}]; "
            "from iscsi_client.cli.entry import main; main()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    frozen = int(r.stderr.rpartition("FROZEN ")[2])
    assert frozen > 1000, r.stderr
    assert (r.returncode == 0) == ("--bogus" not in words), r.stderr
    assert r.stdout.strip() or "--bogus" in words


def test_a_teardown_reaches_its_first_command_without_re_enum_or_collections(tmp_path):
    """`isc logout --all --teardown` reads the sessions, their disks and maps and what holds them, then runs its
    first command (umount here): re with enum, functools and collections (some 80 ms of a start in the TCG lab
    guest, 2% of a 64-session teardown) are not loaded by then. They load, where needed, while a command runs.
    Under --root the first command is refused, which marks the moment."""
    from refdata import lab_snapshot

    root = str(lab_snapshot(tmp_path))
    code = ("import sys; from iscsi_client.system.root import Root; live = Root.require_live\n"
            "def first(self, what):\n"
            "    sys.stderr.write('AT %s: %s\\n' % (what, ' '.join(m for m in ('re', 'enum', 'functools', "
            "'collections') if m in sys.modules)))\n"
            "    live(self, what)\n"
            "Root.require_live = first\n"
            f"sys.argv = ['isc', '--root', {root!r}, 'logout', '--all', '--teardown', '--unmount']\n"
            "from iscsi_client.cli.entry import main; main()")
    r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": str(REPO)})
    first = r.stderr.splitlines()[0]
    assert first.startswith("AT "), r.stderr
    assert first.startswith("AT unmounting /srv/data:") and first.endswith(": "), r.stderr


def test_steps_side_by_side_load_no_threading():
    """fanout's threads are _thread's: threading, with functools and collections, was about 40 ms of a
    teardown's start in the TCG lab guest, just before its first exec (the flush of the maps beside the
    disks' buffers)."""
    run = ("from iscsi_client import fanout; import _thread; ids = set(); "
           "assert fanout.beside(lambda: ids.add(_thread.get_ident()) or 1, lambda: 2) == (1, 2); "
           "assert fanout.each(lambda x: ids.add(_thread.get_ident()) or x * 2, [1, 2, 3], parallel=2) == [2, 4, 6]; "
           "assert ids and _thread.get_ident() not in ids")
    assert loaded_after(run, ("threading", "functools", "collections"), bare=True) == []
