"""The tree isc status draws: guides as `tree` and lsblk draw them, colour only where asked, text never read
as markup."""

from __future__ import annotations

import pytest

from iscsi_client.output import Branch, colour_wanted, tree_lines


def _sample() -> Branch:
    root = Branch(("iqn.2003-01.org.example:t1", "bold"))
    one = root.add("10.0.0.1:3260  session 1  ", ("FAILED (connection unknown: reconnecting)", "red"))
    lun = one.add("LUN 0  /dev/sda")
    lun.add("mounted on /srv/[data]")
    lun.add("mounted on /mnt/b")
    root.add("10.0.0.2:3260  session 2  LOGGED_IN").add(("no LUNs", "yellow"))
    return root


def test_guides_in_utf8_and_in_ascii():
    assert tree_lines(_sample()) == [
        "iqn.2003-01.org.example:t1",
        "├── 10.0.0.1:3260  session 1  FAILED (connection unknown: reconnecting)",
        "│   └── LUN 0  /dev/sda",
        "│       ├── mounted on /srv/[data]",
        "│       └── mounted on /mnt/b",
        "└── 10.0.0.2:3260  session 2  LOGGED_IN",
        "    └── no LUNs",
    ]
    assert tree_lines(_sample(), unicode=False)[1:4] == [
        "|-- 10.0.0.1:3260  session 1  FAILED (connection unknown: reconnecting)",
        "|   `-- LUN 0  /dev/sda",
        "|       |-- mounted on /srv/[data]",
    ]


def test_colour_marks_only_the_styled_parts():
    lines = tree_lines(_sample(), colour=True)
    assert lines[0] == "\x1b[1miqn.2003-01.org.example:t1\x1b[0m"
    assert lines[1] == "├── 10.0.0.1:3260  session 1  \x1b[31mFAILED (connection unknown: reconnecting)\x1b[0m"
    assert lines[3] == "│       ├── mounted on /srv/[data]"
    assert lines[6] == "    └── \x1b[33mno LUNs\x1b[0m"


@pytest.mark.parametrize(("tty", "env", "wanted"), [
    (True, {}, True), (False, {}, False), (True, {"NO_COLOR": "1"}, False), (True, {"TERM": "dumb"}, False),
])
def test_colour_only_on_a_terminal_that_wants_it(monkeypatch, tty, env, wanted):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdout.isatty", lambda: tty)
    assert colour_wanted() is wanted


def test_a_table_on_a_terminal_shows_cells_as_they_are(monkeypatch, capsys):
    """Cells come from the system (mount points, record values): on a terminal rich draws the table, and text
    that looks like its markup is shown as it is, not styled and not an error."""
    from iscsi_client.output import Column, print_table

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    print_table([Column("mount", "mount", lambda r: r)], ["/srv/[data]", "[bold]x", "a[/b]"])
    out = capsys.readouterr().out
    assert "/srv/[data]" in out and "[bold]x" in out and "a[/b]" in out
