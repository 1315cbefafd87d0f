"""cli/direct.py runs status, sessions, doctor, metrics, multipath status, login, logout and discover without
click or typer. Whatever words it accepts, it must make the very call the typer tree makes (the same function,
arguments, Ctx and exit code), and whatever it cannot follow all the way it must leave to the tree. Both paths
run here, on hypothesis' command lines and on a real lab snapshot."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refdata import lab_snapshot

from iscsi_client.cli import app, direct, tab, tab_build

RUNNERS = {(module, name): getattr(importlib.import_module(f"iscsi_client.cli.{module}"), name)
           for module, name in direct.COMMANDS.values()}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("direct")
    (base / "dir").mkdir()
    (base / "file").write_text("x")
    return {"dir": str(base / "dir"), "file": str(base / "file"), "missing": str(base / "missing" / "x")}


def _calls(monkeypatch: pytest.MonkeyPatch, rc: int) -> list[tuple[str, dict[str, Any]]]:
    """Stand-ins for the functions the commands run, recording how they were called and returning rc."""
    seen: list[tuple[str, dict[str, Any]]] = []
    for (module, name), fn in RUNNERS.items():
        def stand_in(*args: Any, _name: str = f"{module}.{name}", _fn: Any = fn, **kwargs: Any) -> int:
            bound = inspect.signature(_fn).bind(*args, **kwargs)
            bound.apply_defaults()
            seen.append((_name, dict(bound.arguments)))
            return rc
        monkeypatch.setattr(importlib.import_module(f"iscsi_client.cli.{module}"), name, stand_in)
    return seen


def _typer_path(argv: list[str]) -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app.main(argv)
        except SystemExit as e:
            return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


def both(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> bool:
    """Runs the words both ways; True when cli/direct.py took them (and then made the tree's call)."""
    seen = _calls(monkeypatch, 7)
    rc = direct.run(list(argv))
    if rc is None:
        assert seen == []
        return False
    ours, seen[:] = list(seen), []
    tree_rc = _typer_path(list(argv))
    assert (rc, repr(ours)) == (tree_rc, repr(seen)), argv  # repr: a timeout of nan is not equal to itself
    return True


ACCEPTED = [
    ["status"], ["--json", "status"], ["status", "--json"], ["-n", "-v", "status", "--timeout", "5"],
    ["--root", "{dir}", "sessions", "--sid", "3", "-r", "4", "--details"], ["sessions", "-d", "--root={dir}"],
    ["--timeout=2.5", "doctor", "--no-mtu", "--timeout", "1e3"], ["metrics", "--textfile", "{missing}"],
    ["--json", "multipath", "status", "--root", "{dir}"], ["multipath", "--json", "status"],
    ["--root", "{dir}", "status", "--root", "/"],
    ["login", "--all"], ["login", "iqn.2003-01.org.x:a", "-p", "10.0.0.1", "--no-wait", "--parallel", "4"],
    ["--json", "logout", "--all", "--teardown", "--unmount"], ["logout", "-r", "3", "--sid", "4", "iqn.x:y"],
    ["discover", "10.0.0.1", "10.0.0.2:3261", "--login", "-T", "iqn.x:a", "--target", "iqn.x:b"],
    ["discover", "--list"], ["discover", "10.0.0.1", "--chap-user", "u", "--password-file", "{file}"],
    ["discover", "--slp"], ["login", ""], ["connect", "10.0.0.1", "10.0.0.2", "-T", "iqn.x:a", "--mount", "/srv",
                                         "--mkfs", "--lun", "0", "-u", "alice", "--password-file", "{file}"],
    ["--json", "disconnect", "iqn.x:a", "--forget"], ["connect", "10.0.0.1", "--no-login", "--startup", "manual"],
]
DECLINED = [
    ["status", "--help"], ["-h", "status"], ["--version", "status"], ["status", "extra"], ["doctor", "explain", "X"],
    ["metrics", "install"], ["multipath"], ["multipath", "config"], ["status", "-nv"], ["sessions", "-r3"],
    ["status", "--json=1"], ["status", "--timeout", "soon"], ["status", "--timeout"], ["status", "--root", "{file}"],
    ["status", "--", "--json"], ["status", "--root", "-n"], ["status", "--root="], ["stat"], ["chap", "x"], [],
    ["status", "--verbos"], ["login", "a", "b"], ["login", "--parallel", "0"], ["login", "--parallel", "257"],
    ["logout", "--all", "--force=1"], ["discover", "-l", "-T"], ["connect", "-T", "iqn.x:a"], ["disconnect"],
    ["connect", "10.0.0.1", "--lun", "-1"], ["apply", "x.toml"],
]


def _fill(argv: list[str], places: dict[str, str]) -> list[str]:
    return [w.format(**places) for w in argv]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_these_run_without_the_framework_as_the_tree_would(monkeypatch, places, argv):
    assert both(monkeypatch, _fill(argv, places))


@pytest.mark.parametrize("argv", DECLINED, ids=lambda a: " ".join(a) or "(none)")
def test_these_are_left_to_the_tree(monkeypatch, places, argv):
    assert not both(monkeypatch, _fill(argv, places))


WORDS = ["status", "sessions", "doctor", "metrics", "multipath", "explain", "install", "config", "login", "logout",
         "discover", "iqn.2003-01.org.x:a", "10.0.0.1", "--all", "-p", "--portal", "--teardown", "--parallel", "-l",
         "--login", "-T", "--list", "connect", "disconnect", "--mount", "--lun", "--forget", "-u",
         "--password-file", "--chap-user", "-I", "--wait-timeout", "--no-wait", "--json",
         "-n", "--dry-run", "-v", "--verbose", "--timeout", "5", "1e3", "nan", "-1", "soon", "--timeout=2", "--root",
         "{dir}", "{file}", "{missing}", "--root={dir}", "/", "--sid", "-r", "3", "x", "--details", "-d", "--no-mtu",
         "--textfile", "--textfile={dir}", "--help", "-h", "--version", "--", "-", "-nv", "-r3", "--json=1", "",
         "--verbos", "-x"]


# values at the edges of click's conversions: taken or left, the call must be the tree's
EDGES = [["sessions", "-r", v] for v in ("1e3", "0x10", "1_0", " 7 ", "+3", "٣", "nan", "9" * 30)] + \
        [["status", "--timeout", v] for v in ("1_0", " 5 ", "inf", "-inf", "nan", "1e999", "0x1", "٣")] + \
        [["metrics", "--textfile", v] for v in ("{file}", "{dir}", "{missing}", ".", "/dev/null", "/proc/1/mem")] + \
        [["login", "--parallel", v] for v in ("1", "256", "0", "257", "-1", "1e1", " 3")] + \
        [["discover", "--password-file", v] for v in ("{file}", "{dir}", "{missing}", "/dev/null", "/proc/1/mem")]


@pytest.mark.parametrize("argv", EDGES, ids=repr)
def test_values_at_the_edges_of_clicks_conversions(monkeypatch, places, argv):
    both(monkeypatch, _fill(argv, places))


OPTION_WORDS = [w for w in WORDS if w.startswith("-") or w[:1] in "{/1-5nsx"]
COMMAND_WORDS = [["status"], ["sessions"], ["doctor"], ["metrics"], ["multipath", "status"], ["multipath"],
                 ["login"], ["logout"], ["discover"], ["connect"], ["disconnect"]]


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), max_size=7))
def test_any_command_line_is_the_trees_call_or_left_to_it(monkeypatch, places, words):
    both(monkeypatch, _fill(words, places))


@settings(max_examples=600, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(OPTION_WORDS), max_size=3), st.sampled_from(COMMAND_WORDS),
       st.lists(st.sampled_from(OPTION_WORDS), max_size=5))
def test_options_around_each_command_are_the_trees_call_or_left_to_it(monkeypatch, places, before, cmd, after):
    both(monkeypatch, _fill([*before, *cmd, *after], places))


def test_the_table_says_all_that_direct_reads_of_these_commands():
    """Every parameter of these commands is a global option or one its function takes (with the tree's
    default), of a kind parsed here; the table is the tree's (test_tab.py holds it current)."""
    table = tab.command_table()
    tree = app.command()
    for path, key in direct.COMMANDS.items():
        taken = inspect.signature(RUNNERS[key]).parameters
        cmd = tree
        for word in path.split():
            cmd = cmd.commands[word]  # type: ignore[attr-defined]
        defaults = {p.name: p.default for p in cmd.params}
        for p in table[path]["params"]:
            if p["name"] in ("help", "version"):
                continue
            if p["name"] in direct.GLOBALS:
                assert p["name"] not in taken, (path, p["name"])
                continue
            assert p["name"] in taken, (path, p["name"])
            want = taken[p["name"]].default
            if p["kind"] == "argument" and p["required"]:
                assert want is inspect.Parameter.empty, (path, p["name"])
                continue
            assert defaults[p["name"]] in (want, None if want == () else want), (path, p["name"], want)
            assert p["type"] != "other" and (p["kind"] == "argument" or not p["secondary"]), (path, p)
    assert tab_build.PLAIN_DIR  # the one click.Path form direct.py checks


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab_snapshot(tmp_path_factory.mktemp("lab-root"))


def _process(code: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO)


ENTRY = ("import sys, atexit; atexit.register(lambda: sys.stderr.write('loaded:' + ' '.join(m for m in "
         "('click', 'typer') if m in sys.modules))); from iscsi_client.cli.entry import main; main(sys.argv[1:])")
TREE = "import sys; from iscsi_client.cli.app import main; main(sys.argv[1:])"


def _steady(out: str) -> str:
    """The output without the sample's own time and duration (isc_sample_*_seconds), which differ per run."""
    if out.startswith("{"):
        doc = json.loads(out)
        doc["metrics"] = [m for m in doc.get("metrics", ()) if not m["name"].startswith("isc_sample_")]
        return json.dumps(doc)
    return "\n".join(line for line in out.splitlines() if not line.startswith("isc_sample_"))


@pytest.mark.parametrize("argv", [["--json", "status"], ["status"], ["sessions", "--json"], ["sessions", "-d"],
                                  ["--json", "doctor", "--no-mtu"], ["metrics"], ["--json", "metrics"],
                                  ["sessions", "--sid", "9"], ["--json", "multipath", "status"],
                                  ["--json", "discover", "--list"], ["discover", "--list"], ["login", "--all"],
                                  ["--json", "login", "iqn.bad name"], ["-n", "logout", "--all", "--teardown"],
                                  ["--json", "-n", "discover", "192.0.2.1", "--login"],
                                  ["--json", "connect", "192.0.2.1"], ["-n", "disconnect", "iqn.x:a"]], ids=" ".join)
def test_on_a_lab_snapshot_the_output_is_the_trees(snapshot, argv):
    """The installed entry point, in its own process: the same stdout, stderr and exit code as the typer tree,
    and neither click nor typer imported."""
    words = ["--root", str(snapshot), *argv]
    ours, tree = _process(ENTRY, words), _process(TREE, words)
    err, _, loaded = ours.stderr.rpartition("loaded:")
    assert loaded == ""
    assert (ours.returncode, _steady(ours.stdout), err) == (tree.returncode, _steady(tree.stdout), tree.stderr)
    if "--json" in argv:
        json.loads(ours.stdout)


def test_the_version_is_the_trees_without_the_framework():
    ours, tree = _process(ENTRY, ["--version"]), _process(TREE, ["--version"])
    err, _, loaded = ours.stderr.rpartition("loaded:")
    assert loaded == "" and ours.stdout.startswith("isc ")
    assert (ours.returncode, ours.stdout, err) == (tree.returncode, tree.stdout, tree.stderr) == (0, tree.stdout, "")
