"""What the read-only commands do once their words are parsed: status, sessions, doctor, multipath status and
metrics read, render and give the exit code. Neither click nor typer is imported here: these commands are run
by monitoring loops and scripts many times a minute, and cli/direct.py runs them without the framework (whose
import alone is about three times `python -c pass`); their typer commands call the same functions."""

from __future__ import annotations

import sys

from iscsi_client.cli.context import Ctx
from iscsi_client.output import Column, emit_json, print_table, rows_as_dicts, say
from iscsi_client.records import record

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from pathlib import Path

    from iscsi_client.kernel_model import Negotiated, SessionView


def status(c: Ctx) -> int:
    """isc status: target -> session/portal -> LUN -> device -> map -> mount, as a tree or JSON; 1 when a session
    is not logged in or a LUN is not running or gone."""
    from iscsi_client.kernel_model import human_size
    from iscsi_client.ops.firmware import firmware_keys
    from iscsi_client.ops.status import problems, views_as_targets
    from iscsi_client.ops.status import status as session_views

    views = session_views(root=c.root)
    fw = firmware_keys(c.root) if views else set()
    trouble = problems(views)
    if c.json:
        emit_json({"targets": views_as_targets(views, fw), "problems": trouble})
        return 1 if trouble else 0
    if not views:
        say("no iSCSI sessions")
        return 0
    from iscsi_client.output import Branch, colour_wanted, print_lines, styled, tree_lines, unicode_out

    colour, unicode = colour_wanted(), unicode_out()
    for t in views_as_targets(views, fw):
        tree = Branch((str(t["target"]), "bold"))
        for s in t["sessions"]:  # type: ignore[attr-defined]
            via: list[str | tuple[str, str]] = [f"  iface {s['iface']}"] if s["iface"] != "default" else []
            if s["firmware"]:
                via += ["  ", ("firmware (iBFT)", "bold")]
            state: str | tuple[str, str] = s["state"] if s["state"] in ("LOGGED_IN", None) else \
                (f"{s['state']} (connection {s['connection_state'] or 'unknown'}: reconnecting)", "red")
            node = tree.add(f"{s['portal']}  session {s['sid']}  ", state, f"  recovery_tmo {s['recovery_tmo']}",
                            *via)
            if not s["luns"]:
                node.add(("no LUNs", "yellow"))
            for lun in s["luns"]:
                d = lun["device"]
                if d is None:
                    kind = f"({lun['scsi_type']})" if lun["scsi_type"] else ""
                    what = " ".join(x for x in (lun["inquiry"], kind) if x)
                    node.add(f"LUN {lun['lun']} ({lun['hctl']}): {what + ', ' if what else ''}no block device")
                    continue
                gone: list[str | tuple[str, str]] = []
                if lun["state"] not in ("running", None):
                    gone += ["  ", (str(lun["state"]), "red")]
                if lun["gone"]:
                    gone += ["  ", (f"gone ({lun['gone']})", "red")]
                branch = node.add(f"LUN {lun['lun']}  {d['path']}  {human_size(d['size_bytes'])}  "
                                  f"{d['vendor'] or ''} {d['model'] or ''}", *gone, f"  wwid {d['wwid'] or '-'}")
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
        print_lines(tree_lines(tree, colour=colour, unicode=unicode))
    if trouble:
        print_lines([styled([(f"{len(trouble)} problem(s)", "red"),
                             f": {'; '.join(trouble)}; 'isc doctor' says what to do"], colour)])
    return 1 if trouble else 0


@record
class Row:
    view: SessionView
    neg: Negotiated


# (JSON key, iSCSI key name as RFC 7143 and iscsiadm -P 2 spell it)
NEGOTIATED = [
    ("header_digest", "HeaderDigest"), ("data_digest", "DataDigest"),
    ("max_recv_data_segment_length", "MaxRecvDataSegmentLength"),
    ("max_xmit_data_segment_length", "MaxXmitDataSegmentLength"),
    ("first_burst_length", "FirstBurstLength"), ("max_burst_length", "MaxBurstLength"),
    ("immediate_data", "ImmediateData"), ("initial_r2t", "InitialR2T"), ("max_outstanding_r2t", "MaxOutstandingR2T"),
]

COLUMNS = [
    Column("sid", "sid", lambda r: r.view.session.sid),
    Column("target", "target", lambda r: str(r.view.session.target)),
    Column("portal", "portal", lambda r: r.view.session.portal.address),
    Column("tpgt", "tpgt", lambda r: r.view.session.portal.tpgt, table=False),
    Column("iface", "iface", lambda r: r.view.session.iface),
    Column("local_address", "local", lambda r: r.neg.local_address),
    Column("local_port", "local port", lambda r: r.neg.local_port, table=False),
    Column("state", "state", lambda r: r.view.session.state),
    Column("connection_state", "connection", lambda r: r.view.session.connection_state, table=False),
    Column("recovery_tmo", "recovery tmo", lambda r: r.view.session.recovery_tmo, table=False),
    Column("host", "host", lambda r: r.view.session.host, table=False),
    Column("chap_user", "chap user", lambda r: r.neg.chap_user, table=False),
    Column("negotiated", "negotiated", lambda r: {k: getattr(r.neg, k) for k, _ in NEGOTIATED}, table=False),
    Column("devices", "devices", lambda r: [lun.disk.devnode for lun in r.view.luns if lun.disk]),
]


def _value(v: object) -> str:
    return "-" if v is None else ("Yes" if v else "No") if isinstance(v, bool) else str(v)


def details(rows: list[Row]) -> str:
    """One block per session, the parameters under their iSCSI names (what iscsiadm -m session -P 2 shows)."""
    out: list[str] = []
    for r in rows:
        s, n = r.view.session, r.neg
        local = f"{n.local_address}:{n.local_port}" if n.local_address and n.local_port else n.local_address
        out += [f"session {s.sid}: {s.target} on {s.portal}",
                f"  iface: {s.iface}, local address {_value(local)}",
                f"  state: {_value(s.state)}, connection {_value(s.connection_state)}, "
                f"recovery_tmo {_value(s.recovery_tmo)}",
                f"  CHAP user: {_value(n.chap_user)}"]
        out += [f"  {name}: {_value(getattr(n, key))}" for key, name in NEGOTIATED]
        devices = [lun.disk.devnode for lun in r.view.luns if lun.disk]
        out += [f"  devices: {' '.join(devices) or '-'}", ""]
    return "\n".join(out).rstrip("\n")


def sessions(c: Ctx, sids: tuple[int, ...] = (), show_details: bool = False) -> int:
    """isc sessions: the sessions from sysfs, their local address and devices (no iscsiadm call)."""
    from iscsi_client.ops.status import negotiated
    from iscsi_client.ops.status import status as session_views

    views = session_views(root=c.root, sids=sids)
    neg = negotiated(root=c.root, sessions=[v.session for v in views])
    rows = [Row(v, neg[v.session.sid]) for v in views]
    if c.json:
        emit_json({"sessions": rows_as_dicts(COLUMNS, rows)})
    elif show_details:
        say(details(rows) if rows else "no active sessions")
    else:
        print_table(COLUMNS, rows, empty="no active sessions")
    return 0


DOCTOR_COLUMNS = [
    Column("code", "code", lambda f: f.code),
    Column("level", "result", lambda f: f.level),
    Column("summary", "finding", lambda f: f.summary),
    Column("fix", "fix", lambda f: f.fix),
    Column("subject", "subject", lambda f: f.subject, table=False),
]


def doctor(c: Ctx, no_mtu: bool = False) -> int:
    """isc doctor: every check's finding with its fix; 1 on any failure."""
    from iscsi_client.ops.doctor_checks import FAILURE, run_checks
    from iscsi_client.ops.doctor_facts import gather

    findings = run_checks(gather(root=c.root, cmd=c.commands(), probe_mtu=not no_mtu))
    failed = any(f.level == FAILURE for f in findings)
    if c.json:
        emit_json({"findings": [{col.key: col.get(f) for col in DOCTOR_COLUMNS} for f in findings], "ok": not failed})
    else:
        print_table(DOCTOR_COLUMNS, findings)
    return 1 if failed else 0


PATH_COLUMNS = [
    Column("map", "map", lambda r: r[0].name),
    Column("dm", "dm", lambda r: r[0].dm),
    Column("vendor", "vendor", lambda r: f"{r[0].vendor},{r[0].product}"),
    Column("queueing", "no_path_retry", lambda r: r[0].queueing),
    Column("group", "group", lambda r: f"{r[1].number} ({r[1].state}, prio {r[1].priority})"),
    Column("path", "path", lambda r: r[2].dev),
    Column("dm_state", "dm state", lambda r: r[2].dm_state),
    Column("checker", "checker", lambda r: r[2].checker_state),
    Column("device_state", "device", lambda r: r[2].dev_state),
]


def multipath_status(c: Ctx) -> int:
    """isc multipath status: maps, path groups and paths from multipathd; 1 when a path is not healthy."""
    from iscsi_client.system.multipath import show_maps

    c.root.require_live("multipath status (it asks multipathd)")
    maps = show_maps(c.commands())
    if c.json:
        emit_json({"maps": [{
            "name": m.name, "wwid": m.wwid, "dm": m.dm, "vendor": m.vendor, "product": m.product,
            "features": m.features, "hwhandler": m.hwhandler, "queueing": m.queueing,
            "queue_if_no_path": m.queue_if_no_path,
            "path_groups": [{"group": g.number, "state": g.state, "priority": g.priority, "selector": g.selector,
                             "paths": [{"dev": p.dev, "dev_t": p.dev_t, "dm_state": p.dm_state,
                                        "checker_state": p.checker_state, "dev_state": p.dev_state,
                                        "healthy": p.healthy} for p in g.paths]} for g in m.path_groups]}
            for m in maps]})
        return 0
    rows = [(m, g, p) for m in maps for g in m.path_groups for p in g.paths]
    print_table(PATH_COLUMNS, rows, empty="no multipath maps")
    return 0 if all(p.healthy for _, _, p in rows) else 1


def metrics(c: Ctx, textfile: Path | None = None) -> int:
    """isc metrics: Prometheus' text format on stdout, or node_exporter's textfile written atomically."""
    from iscsi_client.ops.metrics import sample

    families = sample(root=c.root, cmd=c.commands())
    series = sum(len(f.samples) for f in families)
    if textfile is not None:
        path = textfile / "isc.prom"
        if not c.dry_run:
            from iscsi_client.exposition import text
            from iscsi_client.system.textfile import write

            path = write(textfile, text(families))
        if c.json:
            emit_json({"textfile": {"path": str(path), "written": not c.dry_run, "families": len(families),
                                    "series": series}})
        else:
            say(f"{'would write' if c.dry_run else 'wrote'} {path} ({len(families)} metrics, {series} series)")
        return 0
    if c.json:
        emit_json({"metrics": [{"name": f.name, "type": "gauge", "help": f.help, "samples": [
            {"labels": dict(zip(f.label_names, labels, strict=True)), "value": value}
            for labels, value in f.samples]} for f in families]})
        return 0
    from iscsi_client.exposition import text

    sys.stdout.write(text(families))
    return 0
