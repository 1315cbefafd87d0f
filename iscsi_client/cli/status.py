"""isc status: target -> session/portal -> LUN -> device -> map -> mount, as a tree or JSON."""

from __future__ import annotations

import typer

from iscsi_client.cli.context import get
from iscsi_client.output import emit_json, say


def status_cmd(ctx: typer.Context) -> int:
    """Show every iSCSI session with its LUNs, block devices, multipath maps and mounts.

    Exit 1 when a session is not logged in (the kernel is reconnecting) or a LUN is not running or gone."""
    from iscsi_client.model import human_size
    from iscsi_client.ops.firmware import firmware_keys
    from iscsi_client.ops.status import problems, status, views_as_targets

    c = get(ctx)
    views = status(root=c.root)
    fw = firmware_keys(c.root) if views else set()
    trouble = problems(views)
    if c.json:
        emit_json({"targets": views_as_targets(views, fw), "problems": trouble})
        return 1 if trouble else 0
    if not views:
        say("no iSCSI sessions")
        return 0
    from rich.console import Console
    from rich.tree import Tree

    console = Console(highlight=False, soft_wrap=True)
    for t in views_as_targets(views, fw):
        tree = Tree(f"[bold]{t['target']}[/bold]")
        for s in t["sessions"]:  # type: ignore[attr-defined]
            via = f"  iface {s['iface']}" if s["iface"] != "default" else ""
            via += "  [bold]firmware (iBFT)[/bold]" if s["firmware"] else ""
            state = s["state"] if s["state"] in ("LOGGED_IN", None) else \
                f"[red]{s['state']} (connection {s['connection_state'] or 'unknown'}: reconnecting)[/red]"
            node = tree.add(f"{s['portal']}  session {s['sid']}  {state}  recovery_tmo {s['recovery_tmo']}{via}")
            if not s["luns"]:
                node.add("[yellow]no LUNs[/yellow]")
            for lun in s["luns"]:
                d = lun["device"]
                if d is None:
                    kind = f"({lun['scsi_type']})" if lun["scsi_type"] else ""
                    what = " ".join(x for x in (lun["inquiry"], kind) if x)
                    node.add(f"LUN {lun['lun']} ({lun['hctl']}): {what + ', ' if what else ''}no block device")
                    continue
                gone = f"  [red]gone ({lun['gone']})[/red]" if lun["gone"] else ""
                if lun["state"] not in ("running", None):
                    gone = f"  [red]{lun['state']}[/red]{gone}"
                line = (f"LUN {lun['lun']}  {d['path']}  {human_size(d['size_bytes'])}  {d['vendor'] or ''} "
                        f"{d['model'] or ''}{gone}  wwid {d['wwid'] or '-'}")
                branch = node.add(line)
                holder = lun["map"] or d
                if lun["map"]:
                    branch = branch.add(f"map /dev/mapper/{lun['map']['dm_name']} ({lun['map']['name']})")
                if holder["fstype"]:
                    fs = branch.add(f"{holder['fstype']} UUID={holder['fs_uuid']}")
                    for mp in holder["mountpoints"]:
                        fs.add(f"mounted on {mp}")
                for part in d["partitions"]:
                    what = f"{part['fstype']} UUID={part['fs_uuid']}" if part["fstype"] else "no filesystem"
                    pnode = branch.add(f"partition {part['path']}  {human_size(part['size_bytes'])}  {what}")
                    for mp in part["mountpoints"]:
                        pnode.add(f"mounted on {mp}")
        console.print(tree)
    if trouble:
        console.print(f"[red]{len(trouble)} problem(s)[/red]: {'; '.join(trouble)}; 'isc doctor' says what to do")
    return 1 if trouble else 0
