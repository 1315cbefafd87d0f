"""isc iface: iSCSI interfaces (bind sessions to a NIC)."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.context import get
from iscsi_client.output import Column, emit_json, print_table, rows_as_dicts, say

app = typer.Typer(help="iSCSI ifaces: bind sessions to one NIC (one per path for multipath).",
                  invoke_without_command=True, no_args_is_help=False)

IFACE_COLUMNS = [
    Column("name", "iface", lambda u: u.iface.name),
    Column("transport", "transport", lambda u: u.iface.transport),
    Column("netdev", "netdev", lambda u: u.iface.net_ifacename),
    Column("hwaddress", "hwaddress", lambda u: u.iface.hwaddress),
    Column("initiator_name", "initiator name", lambda u: u.iface.initiatorname),
    Column("records", "records", lambda u: u.records),
    Column("sessions", "sessions", lambda u: u.sessions),
]


@app.callback()
def iface_cmd(ctx: typer.Context) -> None:
    """List ifaces with the node records and sessions that use each. Subcommands: add, delete."""
    if ctx.invoked_subcommand is not None:
        return
    from iscsi_client.ops.ifaces import list_ifaces

    c = get(ctx)
    rows = list_ifaces(c.root)
    if c.json:
        emit_json({"ifaces": rows_as_dicts(IFACE_COLUMNS, rows)})
    else:
        print_table(IFACE_COLUMNS, rows)


@app.command("add")
def add_cmd(ctx: typer.Context,
            name: str = typer.Argument(..., help="iface name, e.g. iface-eth1."),
            netdev: str | None = typer.Option(None, "--netdev", metavar="DEV", autocompletion=completers.net_devices,
                                              help="Bind to this network interface (SO_BINDTODEVICE)."),
            hwaddress: str | None = typer.Option(None, "--hwaddress", metavar="MAC",
                                                 help="Bind to the NIC with this MAC address."),
            initiator_name: str | None = typer.Option(None, "--initiator-name", metavar="IQN",
                                                      help="Log in through this iface under another name.")) -> None:
    """Add an iface bound to a NIC, or one that logs in under its own initiator name (or converge an
    existing one). Use it with
    'isc discover PORTAL -I NAME' or 'isc nodes add TARGET PORTAL -I NAME'."""
    from iscsi_client.ops.ifaces import add_iface

    c = get(ctx)
    done = add_iface(root=c.root, adm=c.iscsiadm(), name=name, netdev=netdev, hwaddress=hwaddress,
                     initiator_name=initiator_name)
    _report(c.json, done.iface.name, done.status, done.iface.net_ifacename or done.iface.hwaddress)


@app.command("delete")
def delete_cmd(ctx: typer.Context,
               name: str = typer.Argument(..., help="iface name.", autocompletion=completers.iface_names)) -> None:
    """Delete an iface (refused while node records or sessions use it)."""
    from iscsi_client.ops.ifaces import delete_iface

    c = get(ctx)
    done = delete_iface(root=c.root, adm=c.iscsiadm(), name=name)
    _report(c.json, done.iface.name, done.status, done.iface.net_ifacename or done.iface.hwaddress)


def _report(json_out: bool, name: str, status: str, binding: str | None) -> None:
    if json_out:
        emit_json({"ifaces": [{"name": name, "status": status, "binding": binding}]})
        return
    words = {"added": "added", "updated": "updated", "unchanged": "already as asked:", "would-add": "would add",
             "would-update": "would update", "deleted": "deleted", "would-delete": "would delete"}
    say(f"{words[status]} iface {name}" + (f" (bound to {binding})" if binding else ""))
