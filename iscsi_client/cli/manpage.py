"""man/isc.8, generated from the app's own commands and help: python -m iscsi_client.cli.manpage > man/isc.8"""

from __future__ import annotations

from pathlib import Path

import click
import typer

from iscsi_client import __version__
from iscsi_client.errors import EXIT_CODES

DATE = "2026-11"


def esc(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _param(p: click.Parameter) -> tuple[str, str]:
    if isinstance(p, click.Option):
        names = ", ".join(f"\\fB{esc(o)}\\fR" for o in p.opts + p.secondary_opts)
        if not p.is_flag:
            names += f" \\fI{esc(p.metavar or p.type.name.upper())}\\fR"
        return names, p.help or ""
    return f"\\fI{esc(p.human_readable_name)}\\fR", getattr(p, "help", "") or ""


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        full = f"{prefix} {name}".strip()
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full)
    return out


def _usage(name: str, cmd: click.Command) -> str:
    ctx = click.Context(cmd, info_name=name)
    pieces = cmd.collect_usage_pieces(ctx)
    return f"\\fBisc {esc(name)}\\fR {esc(' '.join(pieces))}"


EXAMPLES = [
    ("Discover what a portal exports, then list the records:", "isc discover 192.0.2.10\nisc nodes"),
    ("Discover and log in to one target in a single step (every portal it is offered on), waiting for its disks:",
     "isc discover 192.0.2.10 \\-\\-login \\-\\-target iqn.2003\\-01.org.example:disk1"),
    ("A portal that wants discovery CHAP (kept by every later rediscovery), and the discovery records:",
     "isc discover 192.0.2.10 \\-\\-chap\\-user disco \\-\\-password\\-file /root/disco.secret\n"
     "isc discover \\-\\-list"),
    ("One\\-way CHAP with the secret in a root\\-only file, then log in to every portal:",
     "isc chap iqn.2003\\-01.org.example:disk1 \\-\\-user alice \\-\\-password\\-file /root/chap.secret\n"
     "isc login iqn.2003\\-01.org.example:disk1"),
    ("Format the new LUN and mount it at every boot (fstab by UUID, _netdev,nofail, boot login):",
     "isc persist iqn.2003\\-01.org.example:disk1/0 /srv/data \\-\\-mkfs"),
    ("Two portals: make the LUN one multipath map, then check the whole host:",
     "isc multipath config \\-\\-write\nisc multipath status\nisc doctor"),
    ("A LUN was mapped to this host on the target after login: scan for it and wait for its device:",
     "isc rescan iqn.2003\\-01.org.example:disk1"),
    ("Log out of one session by the id isc sessions shows:", "isc sessions\nisc logout \\-\\-sid 3"),
    ("Release a mounted LUN and log out:", "isc logout iqn.2003\\-01.org.example:disk1 \\-\\-teardown \\-\\-unmount"),
    ("Give each path its own NIC, then discover and log in through it:",
     "isc iface add iface\\-eth1 \\-\\-netdev eth1\nisc discover 192.0.2.10 \\-I iface\\-eth1 \\-\\-login"),
    ("Keep the setup (no secrets) and rebuild it on a reinstalled host, CHAP secrets from a mode 600 file:",
     "isc config dump \\-o /root/isc.toml\nisc config restore /root/isc.toml \\-\\-secrets /root/chap.toml "
     "\\-\\-initiator\\-name"),
    ("Where each session leaves from and what its login negotiated (digests, segment lengths):",
     "isc sessions \\-\\-details"),
    ("The same data for scripts (global options go before or after the command):",
     "isc \\-\\-json status\nisc sessions \\-\\-json"),
]


TOPICS = Path(__file__).resolve().parents[2] / "man" / "topics.md"


def _inline(text: str) -> str:
    """`code` in bold, the rest escaped."""
    parts = text.split("`")
    return "".join(f"\\fB{esc(part)}\\fR" if i % 2 else esc(part) for i, part in enumerate(parts))


def topics(markdown: str) -> list[str]:
    """man/topics.md as roff: each '## ' section a .SS, paragraphs joined, indented blocks kept as typed."""
    out: list[str] = []
    para: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if para:
            out.extend([".PP", _inline(" ".join(para))])
            para.clear()
        if block:
            out.extend([".PP", ".nf", ".RS 4", *(esc(line) for line in block), ".RE", ".fi"])
            block.clear()

    in_comment = False
    for line in markdown.splitlines():
        if in_comment or line.startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if line.startswith("# "):
            continue
        if line.startswith("## "):
            flush()
            out.append(".SS " + esc(line[3:].strip()))
        elif line.startswith("    "):
            if para:
                flush()
            block.append(line[4:])
        elif not line.strip():
            if block:
                flush()
            elif para:
                flush()
        else:
            if block:
                flush()
            para.append(line.strip())
    flush()
    return out


def render(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    out = [
        f'.TH ISC 8 "{DATE}" "isc {__version__}" "System Administration"',
        ".SH NAME",
        "isc \\- set up iSCSI initiators: discovery, CHAP, login, devices, fstab, multipath, doctor",
        ".SH SYNOPSIS",
        "\\fBisc\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        esc(root.help or ""),
        ".PP",
        "isc wraps open\\-iscsi's \\fBiscsiadm\\fR(8), sysfs and udev, \\fBfstab\\fR(5), multipath\\-tools and "
        "systemd. Commands that change nothing print tables (or JSON with \\fB\\-\\-json\\fR); commands that "
        "change something say what they changed; \\fB\\-\\-dry\\-run\\fR shows the exact commands instead.",
        ".SH GLOBAL OPTIONS",
        "They come before the command or after it: \\fBisc \\-\\-json status\\fR and "
        "\\fBisc status \\-\\-json\\fR are the same (\\fB\\-\\-version\\fR only before).",
    ]
    for p in root.params:
        names, text = _param(p)
        out += [".TP", names, esc(text)]
    out.append(".SH COMMANDS")
    for name, cmd in _commands(root, ""):
        out += [".SS " + esc(name), _usage(name, cmd), ".PP", esc((cmd.help or "").strip())]
        params = [p for p in cmd.params if not (isinstance(p, click.Option) and "--help" in p.opts)]
        for p in params:
            names, text = _param(p)
            out += [".TP", names, esc(text) if text else "."]
    if TOPICS.exists():  # the reference README.md points to (not in an installed package: man/isc.8 is)
        out += [".SH TOPICS", *topics(TOPICS.read_text())]
    out.append(".SH EXIT STATUS")
    for code, meaning in EXIT_CODES.items():
        out += [".TP", f"\\fB{code}\\fR", esc(meaning)]
    out += [".PP", "With \\fB\\-\\-json\\fR an error is printed as a JSON object with its message, hint, exit "
            "code and, when iscsiadm failed, iscsiadm's own exit code (0\\-33, 255)."]
    out += [".SH ENVIRONMENT",
            ".TP", "\\fBISC_CHAP_PASSWORD\\fR",
            "The CHAP secret, when neither \\fB\\-\\-password\\-file\\fR nor \\fB\\-\\-password\\-stdin\\fR is "
            "given. isc never takes a secret on its command line.",
            ".TP", "\\fBISC_CHAP_MUTUAL_PASSWORD\\fR", "The mutual CHAP secret.",
            ".TP", "\\fBISC_ISCSIADM\\fR", "The iscsiadm binary to run (default: iscsiadm from PATH).",
            ".TP", "\\fBNO_COLOR\\fR", "Set (to anything): no colour on a terminal either. isc colours only a "
            "terminal's output, never a pipe's, and not with TERM=dumb.",
            ".TP", "\\fB_ISC_COMPLETE\\fR", "Set by the shell completion scripts; not for interactive use."]
    out += [".SH FILES"]
    for path, what in [
        ("/etc/iscsi/initiatorname.iscsi", "the initiator name"),
        ("/etc/iscsi/nodes/, /var/lib/iscsi/nodes/", "open\\-iscsi's node records (read directly by isc)"),
        ("/etc/iscsi/iscsid.conf", "defaults for new records"),
        ("/etc/fstab", "filesystems mounted at boot; isc's entries follow a '# isc:' comment line"),
        ("/etc/multipath/conf.d/isc.conf", "the multipath drop\\-in written by \\fBisc multipath config\\fR"),
        ("/etc/multipath/wwids", "WWIDs multipath treats as multipath devices"),
        ("/sys/class/iscsi_session/, /run/udev/data/", "where isc reads sessions and devices"),
        ("/run/lock/isc.lock", "serialises isc's changes across processes"),
    ]:
        out += [".TP", f"\\fI{esc(path)}\\fR" if "\\" not in path else f"\\fI{path}\\fR", what]
    out.append(".SH EXAMPLES")
    for text, cmds in EXAMPLES:
        out += [".PP", text, ".PP", ".nf", ".RS 4", cmds, ".RE", ".fi"]
    out += [".SH SEE ALSO", "\\fBiscsiadm\\fR(8), \\fBiscsid\\fR(8), \\fBmultipath\\fR(8), "
            "\\fBmultipath.conf\\fR(5), \\fBfstab\\fR(5), \\fBsystemd.mount\\fR(5), \\fBlsblk\\fR(8)"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    from iscsi_client.cli.app import typer_app

    print(render(typer_app()), end="")
