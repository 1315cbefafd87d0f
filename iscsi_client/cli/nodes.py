"""isc nodes: the node database (list, add a static target, delete)."""

from __future__ import annotations

import typer

from iscsi_client.cli import completers
from iscsi_client.cli.args import portal_arg, target_arg
from iscsi_client.cli.context import get
from iscsi_client.cli.options import PortalOpt
from iscsi_client.output import Column, emit_json, print_table, rows_as_dicts, say

app = typer.Typer(help="The node database: targets this host knows, their portals and settings.",
                  invoke_without_command=True, no_args_is_help=False)

NODE_COLUMNS = [
    Column("target", "target", lambda n: str(n.target)),
    Column("portal", "portal", lambda n: n.portal.address),
    Column("tpgt", "tpgt", lambda n: n.portal.tpgt),
    Column("iface", "iface", lambda n: n.iface),
    Column("startup", "startup", lambda n: n.startup),
    Column("conn_startup", "conn startup", lambda n: n.conn_startup, table=False),
    Column("auth", "auth", lambda n: n.chap.mode),
    Column("chap_user", "chap user", lambda n: n.chap.username),
    Column("chap_user_in", "mutual user", lambda n: n.chap.username_in, table=False),
    Column("discovery", "discovery", lambda n: n.discovery, table=False),
    Column("replacement_timeout", "replacement timeout", lambda n: n.replacement_timeout, table=False),
]


@app.callback()
def nodes_cmd(ctx: typer.Context,
              target: str | None = typer.Option(None, "--target", "-T", help="Only this target.")) -> None:
    """List node records (secrets are never shown). Subcommands: add, set, delete."""
    if ctx.invoked_subcommand is not None:
        return
    from iscsi_client.ops.nodes import list_nodes

    c = get(ctx)
    rows = list_nodes(root=c.root, target=target_arg(target))
    if c.json:
        emit_json({"nodes": rows_as_dicts(NODE_COLUMNS, rows)})
    else:
        print_table(NODE_COLUMNS, rows, empty="no node records (run 'isc discover PORTAL')")


@app.command("add")
def add_cmd(ctx: typer.Context, target: str = typer.Argument(..., help="Target IQN."),
            portal: str = typer.Argument(..., help="Portal: host[:port]."),
            iface: str | None = typer.Option(None, "--iface", "-I", help="iSCSI interface (isc iface).",
                                         autocompletion=completers.iface_names)) -> None:
    """Add a statically configured target (no discovery)."""
    from iscsi_client.ops.nodes import add_node

    c = get(ctx)
    t, p = target_arg(target), portal_arg(portal)
    assert t is not None and p is not None
    created = add_node(root=c.root, adm=c.iscsiadm(), target=t, portal=p, iface=iface)
    status = ("would-add" if c.dry_run else "added") if created else "exists"
    if c.json:
        emit_json({"nodes": [{"target": str(t), "portal": p.address, "status": status}]})
    else:
        say({"added": f"added {t} on {p.address}", "would-add": f"would add {t} on {p.address}",
             "exists": f"{t} on {p.address} already exists (unchanged)"}[status])


@app.command("delete")
def delete_cmd(ctx: typer.Context,
               target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
               portal: PortalOpt = None,
               iface: str | None = typer.Option(None, "--iface", "-I", autocompletion=completers.iface_names,
                                                help="Only the records of this iface.")) -> None:
    """Delete node records (refused while a session uses them)."""
    from iscsi_client.ops.nodes import delete_nodes

    c = get(ctx)
    t = target_arg(target)
    assert t is not None
    gone = delete_nodes(root=c.root, adm=c.iscsiadm(), target=t, portal=portal_arg(portal), iface=iface)
    if c.json:
        emit_json({"deleted": rows_as_dicts(NODE_COLUMNS, gone), "dry_run": c.dry_run})
    else:
        verb = "would delete" if c.dry_run else "deleted"
        for n in gone:
            say(f"{verb} {n.target} on {n.portal.address} ({n.iface})")


@app.command("set")
def set_cmd(ctx: typer.Context,
            target: str = typer.Argument(..., help="Target IQN.", autocompletion=completers.targets),
            assignments: list[str] = typer.Argument(..., metavar="NAME=VALUE...",
                                                    autocompletion=completers.record_settings,
                                                    help="Record settings, e.g. "
                                                         "node.session.timeo.replacement_timeout=5."),
            portal: PortalOpt = None,
            iface: str | None = typer.Option(None, "--iface", "-I", autocompletion=completers.iface_names,
                                             help="Only the records of this iface (a portal reached through "
                                                  "two ifaces has one record for each).")) -> None:
    """Change settings of a target's records (iscsiadm -o update): all pairs and all portals in one call,
    only where a value differs. Not for CHAP (isc chap) or a record's identity (isc nodes add).
    A session already logged in keeps its old values until its next login."""
    from iscsi_client.ops.node_settings import parse_assignments, set_node_values

    c = get(ctx)
    t = target_arg(target)
    assert t is not None
    pairs = parse_assignments(assignments)
    done = set_node_values(root=c.root, adm=c.iscsiadm(), target=t, portal=portal_arg(portal), settings=pairs,
                           iface=iface)
    if c.json:
        emit_json({"settings": dict(pairs), "dry_run": c.dry_run,
                   "records": [{"target": str(n.target), "portal": n.portal.address, "iface": n.iface,
                                "changed": n in done.changed, "in_session": n in done.in_session}
                               for n in done.changed + done.unchanged]})
        return
    what = ", ".join(f"{k} = {v}" for k, v in pairs)
    for n in done.changed:
        say(f"{'would set' if c.dry_run else 'set'} {what} on {n.target} {n.portal.address} ({n.iface})")
    for n in done.unchanged:
        say(f"{n.target} {n.portal.address} ({n.iface}) already has {what}")
    if done.in_session and not c.dry_run:
        from iscsi_client.output import note

        note(f"the session(s) on {', '.join(n.portal.address for n in done.in_session)} keep the old values until "
             f"the next login: isc logout {t} && isc login {t} (or at the next boot)")
