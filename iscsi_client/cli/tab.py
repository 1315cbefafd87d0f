"""TAB completion without click or typer: the answer click would give (its protocol, its rules), read from
the table cli/tab_build.py generates from the command tree (cli/tab_table.py).

A TAB press starts a whole isc process. Importing click and typer alone took about three times `python -c
pass`, before a single value was read; this module imports neither. It follows click 8's resolution step
by step (the command words, option values, the first argument still open, option names after a dash), and
tests/unit/test_tab.py compares its answer with click's for every command and many command lines."""

from __future__ import annotations

from collections.abc import Mapping

from iscsi_client.cli.completers import LATE_ROOT

TYPE_CHECKING = False  # typing is not imported on a TAB press (~3 ms here, a quarter of `python -c pass`)
if TYPE_CHECKING:
    from typing import Any

Item = tuple[str, str | None, str]  # value, help, type (plain, dir, file)


class _Stop(Exception):
    """Where click's parser raises a usage error: under completion it stops parsing the command's words."""


class Frame:
    """One command of the command line and what was given to it: click's context, reduced to what a
    completer reads (``params``, ``meta``, ``find_root()``)."""

    def __init__(self, spec: Mapping[str, Any], parent: Frame | None) -> None:
        self.spec = spec
        self.parent = parent
        self.params: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.given: set[str] = set()  # parameters given on the command line

    def find_root(self) -> Frame:
        frame = self
        while frame.parent is not None:
            frame = frame.parent
        return frame

    def options(self) -> list[Mapping[str, Any]]:
        return [p for p in self.spec["params"] if p["kind"] == "option"]

    def parse(self, args: list[str]) -> list[str]:
        """Take this command's options and arguments from ``args`` the way click's parser does with resilient
        parsing; return the words left for a subcommand (a group stops at its first positional word)."""
        largs: list[str] = []
        rargs = list(args)
        try:
            while rargs:
                arg = rargs.pop(0)
                if arg == "--":
                    break
                if arg[:1] == "-" and len(arg) > 1:
                    self._option_word(arg, rargs)
                elif self.spec["interspersed"]:
                    largs.append(arg)
                else:
                    rargs.insert(0, arg)
                    break
            positional = largs + rargs
            for p in self.spec["params"]:
                if p["kind"] != "argument":
                    continue
                if p["nargs"] == -1:
                    self.params[p["name"]] = tuple(positional)
                    positional = []
                    self.given.add(p["name"])
                elif positional:
                    self.params[p["name"]] = positional.pop(0)
                    self.given.add(p["name"])
            return positional
        except _Stop:
            return largs

    def _option_word(self, arg: str, rargs: list[str]) -> None:
        name, eq, explicit = arg.partition("=")
        longs = {o: p for p in self.options() for o in (*p["opts"], *p["secondary"]) if not _is_short(o)}
        if name in longs:
            p = longs[name]
            if p["takes_value"]:
                if eq:
                    rargs.insert(0, explicit)
                self._store(p, _value(rargs), name)
            elif eq:
                raise _Stop
            else:
                self._store(p, None, name)
        elif arg[:2] == "--":
            raise _Stop
        else:
            self._short_options(arg, rargs)

    def _short_options(self, arg: str, rargs: list[str]) -> None:
        shorts = {o: p for p in self.options() for o in (*p["opts"], *p["secondary"]) if _is_short(o)}
        for i, ch in enumerate(arg[1:], start=2):
            p = shorts.get("-" + ch)
            if p is None:
                raise _Stop
            if p["takes_value"]:
                if i < len(arg):
                    rargs.insert(0, arg[i:])
                self._store(p, _value(rargs), "-" + ch)
                return
            self._store(p, None, "-" + ch)

    def _store(self, p: Mapping[str, Any], value: str | None, opt: str) -> None:
        self.given.add(p["name"])
        stored: str | bool = opt not in p["secondary"] if value is None else value  # a flag: --no-x is false
        if p["multiple"]:
            self.params.setdefault(p["name"], []).append(stored)
        else:
            self.params[p["name"]] = stored


def _is_short(opt: str) -> bool:
    return len(opt) == 2 and opt[0] == "-" and opt[1] != "-"


def _value(rargs: list[str]) -> str:
    if not rargs:
        raise _Stop  # "option requires an argument"
    return rargs.pop(0)


def command_table() -> Mapping[str, Any]:
    """The command tree as data (cli/tab_table.py, generated by cli/tab_build.py): TAB and the command list of
    `isc --help` read it here; cli/direct.py imports its TABLE itself (without this module's code)."""
    from iscsi_client.cli.tab_table import TABLE

    return TABLE


def resolve(args: list[str]) -> Frame:
    """The command the complete words lead to, each command's words parsed on the way."""
    tree = command_table()
    path = ""
    frame = Frame(tree[path], None)
    rest = frame.parse(args)
    late = None  # --root after the command word (isc login --root IMG iqn<TAB>), as app._late_global keeps it
    while frame.spec["commands"] is not None and rest:
        if rest[0] not in {name for name, _ in frame.spec["commands"]}:
            break
        path = f"{path} {rest[0]}".strip()
        frame = Frame(tree[path], frame)
        rest = frame.parse(rest[1:])
        if "root" in frame.given:
            late = frame.params["root"]
    if late is not None:
        frame.find_root().meta[LATE_ROOT] = late
    return frame


def complete(args: list[str], incomplete: str) -> list[Item]:
    """What the shell is offered for ``incomplete`` after the complete words ``args``."""
    frame = resolve(args)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete[:1] == "-":
        name, _, incomplete = incomplete.partition("=")
        args = [*args, name]
    if "--" not in args and incomplete[:1] == "-":
        return _names(frame, incomplete)
    params = frame.spec["params"]
    for p in params:  # the last word is an option that still needs its value
        if p["kind"] == "option" and p["takes_value"] and args and args[-1][:1] == "-" and args[-1] in p["opts"]:
            return _values(p, frame, incomplete)
    for p in params:  # the first argument still open
        if p["kind"] == "argument" and (p["nargs"] == -1 or p["name"] not in frame.given):
            return _values(p, frame, incomplete)
    return _names(frame, incomplete)


def _names(frame: Frame, incomplete: str) -> list[Item]:
    """Subcommand names, and after a dash the options not given yet."""
    out: list[Item] = [(name, text, "plain") for name, text in frame.spec["commands"] or ()
                       if name.startswith(incomplete)]
    if incomplete and not incomplete[0].isalnum():
        for p in frame.options():
            if p["hidden"] or (not p["multiple"] and p["name"] in frame.given):
                continue
            out += [(o, p["help"], "plain") for o in (*p["opts"], *p["secondary"]) if o.startswith(incomplete)]
    return out


def _values(p: Mapping[str, Any], frame: Frame, incomplete: str) -> list[Item]:
    how = p["complete"]
    if how is None:
        return []
    if how[0] == "path":
        return [(incomplete, None, how[1])]
    if how[0] == "choice":
        return [(c, None, "plain") for c in how[1] if c.startswith(incomplete)]
    from iscsi_client.cli import completers

    given = {"ctx": frame, "incomplete": incomplete}
    found = getattr(completers, how[1])(**{name: given[name] for name in how[2]})
    items = [(c[0], c[1], "plain") if isinstance(c, tuple) else (c, None, "plain") for c in found]
    return [i for i in items if i[0].startswith(incomplete)]


def split_words(line: str) -> list[str]:
    """The shell's words, split as click splits them (an unclosed quote keeps its partial word)."""
    import shlex

    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out: list[str] = []
    try:
        out.extend(lex)
    except ValueError:
        out.append(lex.token)
    return out


def request(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The complete words and the word being typed, from the variables the completion scripts set."""
    words = split_words(environ["COMP_WORDS"])
    if shell == "fish":  # fish gives the word being typed in COMP_CWORD, and in COMP_WORDS as well
        typed = environ["COMP_CWORD"]
        typed = split_words(typed)[0] if typed else ""
        args = words[1:]
        if typed and args and args[-1] == typed:
            args.pop()
        return args, typed
    cword = int(environ["COMP_CWORD"])
    return words[1:cword], words[cword] if cword < len(words) else ""


def render(shell: str, item: Item) -> str:
    """One answer in the form the shell's script reads."""
    value, text, kind = item
    if shell == "bash":
        return f"{kind},{value}"
    if shell == "zsh":
        shown = text or "_"
        return f"{kind}\n{value.replace(':', chr(92) + ':') if shown != '_' else value}\n{shown}"
    if text:
        return f"{kind},{value}\t{text.replace(chr(10), chr(92) + 'n').replace(chr(9), ' ')}"
    return f"{kind},{value}"


SHELLS = ("bash", "zsh", "fish")


def answer(instruction: str, environ: Mapping[str, str]) -> str | None:
    """The text to print for a completion request (``_ISC_COMPLETE=<shell>_complete``), or None for an
    instruction isc does not answer."""
    shell, _, action = instruction.partition("_")
    if shell not in SHELLS or action != "complete":
        return None
    args, typed = request(shell, environ)
    return "\n".join(render(shell, item) for item in complete(args, typed)) + "\n"
