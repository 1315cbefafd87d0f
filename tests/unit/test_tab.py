"""TAB is answered without click (cli/tab.py, from a generated table): the answer must be click's own, byte for
byte, for every command, option and argument, in the three shells, and the table must match the commands."""

from __future__ import annotations

import functools
import subprocess
import sys
import tarfile
from pathlib import Path

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.cli import tab, tab_build

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "tests/fixtures/lab-root/multipath.tar.gz"
IQN = "iqn.2003-01.org.isc.lab:multi"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The lab guest's /etc and /sys with two paths and a map: node records, ifaces, sessions to complete."""
    dest = tmp_path_factory.mktemp("snap")
    with tarfile.open(SNAPSHOT) as tar:
        tar.extractall(dest, filter="tar")
    return str(dest / "multipath")


@functools.cache
def _tree() -> click.Command:
    return tab_build.click_tree()


def _environ(shell: str, args: list[str], typed: str) -> dict[str, str]:
    import shlex

    words = " ".join(shlex.quote(w) for w in ["isc", *args])
    if shell == "fish":
        return {"_ISC_COMPLETE": "fish_complete", "COMP_WORDS": f"{words} {shlex.quote(typed)}" if typed else words,
                "COMP_CWORD": shlex.quote(typed) if typed else ""}
    last = shlex.quote(typed) if typed else "''"
    return {"_ISC_COMPLETE": f"{shell}_complete", "COMP_WORDS": f"{words} {last}", "COMP_CWORD": str(len(args) + 1)}


def _help_in_order(shell: str, answer: str) -> str:
    """click orders the help option's two names as a set does (differently from one process to the next);
    the table keeps them sorted."""
    if answer == "\n":
        return answer
    size = 3 if shell == "zsh" else 1
    lines = answer.rstrip("\n").split("\n")
    items = [lines[i:i + size] for i in range(0, len(lines), size)]
    where = [i for i, item in enumerate(items) if item[size - 1 if size == 1 else 1].split("\t")[0].split(",")[-1]
             in ("-h", "--help")]
    for i, item in zip(where, sorted((items[i] for i in where), key=lambda item: "--help" not in "".join(item)),
                       strict=True):
        items[i] = item
    return "\n".join("\n".join(item) for item in items) + "\n"


def _both(shell: str, args: list[str], typed: str) -> tuple[str | None, str]:
    environ = _environ(shell, args, typed)
    click_says = _help_in_order(shell, tab_build.click_answer(environ, _tree()))
    return tab.answer(environ["_ISC_COMPLETE"], environ), click_says


def _lines(root: str) -> list[tuple[list[str], str]]:
    """Command lines that reach every command, every option's value and every argument, with --root before
    and after the command word (the completers read the snapshot's records, sessions and fstab)."""
    out: list[tuple[list[str], str]] = []
    for path, spec in tab.command_table().items():
        words = path.split()
        lead = ["--root", root, *words]
        late = [*words, "--root", root]
        for typed in ("", "-", "--", "--r", "-h", "x", "s", "i", "/"):
            out.append((lead, typed))
        for p in spec["params"]:
            if p["kind"] == "option" and p["takes_value"] and p["name"] != "root":
                for opt in p["opts"]:
                    out += [([*lead, opt], ""), ([*late, opt], "i"), ([*lead], f"{opt}=")]
        arguments = [p for p in spec["params"] if p["kind"] == "argument"]
        for n in range(len(arguments) + 1):
            filled = [IQN] * n
            out += [([*lead, *filled], ""), ([*late, *filled], "iqn"), ([*lead, "--", *filled], "1")]
    return out


def test_the_table_matches_the_commands():
    assert (REPO / "iscsi_client/cli/tab_table.py").read_text() == tab_build.source(), \
        "regenerate: python -m iscsi_client.cli.tab_build > iscsi_client/cli/tab_table.py"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_command_option_and_argument_completes_as_click_does(shell, root):
    lines = _lines(root)
    assert len(lines) > 500
    answered = 0
    for args, typed in lines:
        ours, clicks = _both(shell, args, typed)
        assert ours == clicks, (args, typed)
        answered += clicks.strip() != ""
    assert answered > len(lines) // 3  # many lines have something to offer: the comparison is not of silences


def test_completers_read_the_node_records_ifaces_and_sessions(root):
    """The dynamic answers really come from the root's files (an IQN with colons, ifaces, a setting name)."""
    def bash(args: list[str], typed: str) -> list[str]:
        answer = tab.answer("bash_complete", _environ("bash", args, typed))
        return (answer or "").split()

    assert f"plain,{IQN}" in bash(["--root", root, "login"], "iqn")
    assert "plain,default" in bash(["login", "--root", root, "--iface"], "")
    assert "plain,node.session.timeo.replacement_timeout=" in bash(
        ["--root", root, "nodes", "set", IQN], "node.session.timeo.repl")
    assert bash(["--root", root, "login", "--portal"], "")  # the target's portals
    assert f"plain,{IQN}" in bash(["--root", root, "logout"], "")  # a target with a session
    assert bash(["--root", root, "login", IQN], "") == []  # the target given: nothing more to offer


WORDS = st.sampled_from(["login", "logout", "nodes", "set", "show", "iface", "--iface", "-I", "default", "-p",
                         "--portal", "--json", "-n", "-nv", "-v", "--", "=", "--all", "--teardown", "--sid", "1",
                         "--root", "--no-such", "-x", "multipath", "config", "doctor", "--check", IQN, "x"])


@given(words=st.lists(WORDS, max_size=6), typed=st.sampled_from(["", "-", "--", "--i", "i", "l", "--root=", "x"]),
       shell=st.sampled_from(["bash", "zsh", "fish"]))
def test_any_command_line_completes_as_click_does(words, typed, shell):
    ours, clicks = _both(shell, words, typed)
    assert ours == clicks


def test_a_tab_press_loads_neither_click_nor_typer():
    env = {"_ISC_COMPLETE": "bash_complete", "COMP_WORDS": "isc lo", "COMP_CWORD": "1"}
    code = ("import os, sys, runpy; os.environ.update(" + repr(env) + ");"
            "import atexit; atexit.register(lambda: sys.stderr.write(' '.join(m for m in "
            "('click', 'typer', 'rich', 'pyudev') if m in sys.modules)));"
            "sys.argv=['isc']; runpy.run_module('iscsi_client', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.split() == ["plain,login", "plain,logout"]
    assert r.stderr.strip() == ""


def test_an_instruction_isc_does_not_answer_exits_1():
    r = subprocess.run([sys.executable, "-m", "iscsi_client"], capture_output=True, text=True,
                       env={"_ISC_COMPLETE": "tcsh_complete", "COMP_WORDS": "isc ", "COMP_CWORD": "1",
                            "PATH": "/usr/bin:/bin"})
    assert (r.returncode, r.stdout) == (1, "")
