"""What a user reads in `isc --help` and `isc GROUP --help`: each command's summary is one flowing
paragraph, however its docstring is wrapped in the source."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest

from iscsi_client.cli.app import command, invoked_command


def _help(*words: str, columns: str = "100") -> str:
    env = {**os.environ, "COLUMNS": columns, "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "iscsi_client", *words, "--help"], capture_output=True,
                          text=True, env=env, check=True)
    return done.stdout


def _groups() -> list[tuple[list[str], click.Group]]:
    root = command()
    assert isinstance(root, click.Group)
    found: list[tuple[list[str], click.Group]] = [([], root)]
    for name, sub in root.commands.items():
        if isinstance(sub, click.Group):
            found.append(([name], sub))
    return found


def _command_list(screen: str) -> dict[str, str]:
    """The "Commands:" section of a help screen: each command's name and its text, wrapped lines joined."""
    rows: dict[str, str] = {}
    name = ""
    for line in screen.split("\nCommands:\n", 1)[1].splitlines():
        if not line.strip():
            break
        if not line.startswith("   "):  # a command's row: two spaces, its name, its text
            name, _, text = line.strip().partition(" ")
            rows[name] = text.strip()
        else:
            rows[name] += " " + line.strip()
    return rows


@pytest.mark.parametrize("words,group", _groups(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_command_summary_is_its_whole_first_paragraph_in_the_command_list(words: list[str],
                                                                                 group: click.Group):
    listed = _command_list(_help(*words))
    assert list(listed) == list(group.commands), " ".join(["isc", *words, "--help"])
    for name, sub in group.commands.items():
        first = " ".join((sub.help or "").split("\n\n", 1)[0].split())
        # The whole first paragraph, wrapped: not cut short with "...", no line break kept from the docstring.
        assert listed[name] == first, name


def test_options_are_shown_in_their_sections_in_plain_text():
    """isc's help is click's plain layout (no box drawing, at most 80 columns) with each option in the section
    its declaration names, in declaration order, and the options every command accepts last."""
    screen = _help("connect")
    titles = [line for line in screen.splitlines() if line and not line.startswith(" ") and line.endswith(":")]
    assert titles == ["Arguments:", "Options:", "CHAP:", "Discovery CHAP:", "Mount:",
                      "Global options (also before the command):"]
    section = {title: screen.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0] for title in ("CHAP", "Mount")}
    assert "--mkfs" in section["Mount"] and "--fstype" in section["Mount"] and "--chap-user" not in section["Mount"]
    # the secrets' sources (options shared with isc chap) beside the user name
    assert all(o in section["CHAP"] for o in ("--chap-user", "--password-file", "--password-stdin", "--mutual-user",
                                             "--allow-long-secret"))
    assert not any(ch in screen for ch in "│╭─╰")
    assert max(len(line) for line in _help("login", columns="400").splitlines()) <= 80


@pytest.mark.parametrize(("argv", "word"), [
    (["login", "iqn.x"], "login"), (["--root", "/img", "--json", "nodes", "set"], "nodes"),
    (["-nv", "--timeout", "5", "discover", "10.0.0.1"], "discover"), (["--json"], None), (["--", "login"], None),
])
def test_the_command_word_is_found_after_the_global_options(argv, word):
    assert invoked_command(argv) == word


def test_only_the_named_branch_is_built_and_unknown_words_get_the_whole_tree():
    slim = command(["--json", "nodes", "set", "iqn.x"])
    assert isinstance(slim, click.Group) and list(slim.commands) == ["nodes"]
    assert set(slim.commands["nodes"].commands) == {"add", "delete", "set"}  # type: ignore[attr-defined]
    whole = command(["lgin"])
    assert isinstance(whole, click.Group) and {"login", "logout", "discover", "doctor"} <= set(whole.commands)


def test_a_mistyped_command_gets_one_suggestion():
    done = subprocess.run([sys.executable, "-m", "iscsi_client", "lgin"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "isc: error: No such command 'lgin'. Did you mean 'login'?"


def test_completion_of_a_subcommand_and_of_a_command_word():
    env = {**os.environ, "_ISC_COMPLETE": "bash_complete", "COMP_WORDS": "isc nodes s", "COMP_CWORD": "2"}
    done = subprocess.run([sys.executable, "-m", "iscsi_client"], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["plain,set"]
    env |= {"COMP_WORDS": "isc lo", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "iscsi_client"], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["plain,login", "plain,logout"]


WHOLE_TREE = ("import sys; from iscsi_client.cli import app; whole = app.command; "
              "app.command = lambda args=None: whole(None); app.main(sys.argv[1:])")


@pytest.mark.parametrize("words", [["--help"], ["-h"], [], ["--json", "-n", "--help"], ["--root", "/", "-h"]],
                         ids=lambda w: " ".join(w) or "(none)")
@pytest.mark.parametrize("columns", ["60", "100", "400"])
def test_the_command_list_is_the_whole_trees_screen(words: list[str], columns: str):
    """`isc --help` lists the commands from the generated table instead of building every command module:
    the screen is the one the whole tree renders, byte for byte, at any width."""
    env = {**os.environ, "COLUMNS": columns, "TERM": "dumb"}
    ours = subprocess.run([sys.executable, "-m", "iscsi_client", *words], capture_output=True, text=True, env=env)
    tree = subprocess.run([sys.executable, "-c", WHOLE_TREE, *words], capture_output=True, text=True, env=env)
    assert "\n  connect " in ours.stdout and "\n  completion " in ours.stdout and "error" not in ours.stderr
    assert (ours.returncode, ours.stdout, ours.stderr) == (tree.returncode, tree.stdout, tree.stderr)


def test_no_command_runs_from_the_list():
    """A command word (or "--" before one) gets the real command, never a stand-in of the list."""
    assert command(["--help"]).commands["status"].callback is None  # type: ignore[attr-defined]
    for argv in (["status", "--help"], ["--", "status", "--help"], ["--json", "lgin"], ["--", "-h"]):
        assert command(argv).commands["status"].callback is not None, argv  # type: ignore[attr-defined]
