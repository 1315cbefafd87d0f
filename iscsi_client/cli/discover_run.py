"""What discover does once its words are parsed: ask the portals (or the firmware), list or forget discovery
records, then log in with --login. Neither click nor typer is imported here: cli/direct.py runs discover
without the framework, and its typer command (cli/discover.py) calls the same function."""

from __future__ import annotations

from iscsi_client.cli.context import Ctx
from iscsi_client.fanout import IN_FLIGHT
from iscsi_client.output import Column, emit_json, note, print_table, rows_as_dicts, say

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up
if TYPE_CHECKING:
    from pathlib import Path

    from iscsi_client.model import DiscoveredTarget, DiscoveryRecord
    from iscsi_client.ops.discover import Found

FOUND_COLUMNS = [
    Column("target", "target", lambda f: f.target),
    Column("portal", "portal", lambda f: f.portal.address),
    Column("tpgt", "tpgt", lambda f: f.portal.tpgt),
    Column("record", "record", lambda f: f.record),
    Column("flags", "flags", lambda f: list(f.flags)),
    Column("ifaces", "iface", lambda f: list(f.ifaces)),
]

RECORD_COLUMNS = [
    Column("portal", "portal", lambda r: r.portal.address),
    Column("type", "type", lambda r: r.method),
    Column("auth", "auth", lambda r: "mutual CHAP" if r.mutual_user else r.auth),
    Column("chap_user", "chap user", lambda r: r.chap_user),
    Column("chap_user_in", "mutual user", lambda r: r.mutual_user, table=False),
]

def discover(c: Ctx, portals: tuple[str, ...] = (), isns: bool = False, firmware: bool = False, forget: bool = False,
             list_records: bool = False, chap_user: str | None = None, password_file: Path | None = None,
             password_stdin: bool = False, mutual_user: str | None = None, mutual_password_file: Path | None = None,
             allow_long: bool = False, clear_chap: bool = False, iface: str | None = None, keep_flagged: bool = False,
             login: bool = False, login_targets: tuple[str, ...] = (), no_wait: bool = False,
             wait_timeout: float = 30.0, parallel: int = IN_FLIGHT, slp: bool = False) -> int:
    """isc discover: SendTargets or iSNS (new records only), the firmware's table, the discovery records,
    forgetting a portal; with login, the logins of what was found."""
    from iscsi_client.errors import UsageError
    from iscsi_client.model import DEFAULT_PORT, ISNS_PORT, Iqn, Portal

    if slp:
        raise UsageError("SLP discovery is not supported by open-iscsi (iscsiadm has no SLP client)",
                         hint="use SendTargets (the default) or --isns")
    if firmware:
        from iscsi_client.ops.discover import discover_firmware
        from iscsi_client.ops.firmware import firmware_initiator

        in_firmware = discover_firmware(adm=c.iscsiadm(), cmd=c.commands())
        initiator = firmware_initiator(c.root)
        cols = FOUND_COLUMNS[:3]
        if c.json:
            emit_json({"targets": [{"target": str(f.target), "portal": f.portal.address,
                                    "tpgt": f.portal.tpgt} for f in in_firmware], "initiator": initiator})
        else:
            print_table(cols, [_as_found(f) for f in in_firmware])
            if initiator:
                say(f"the firmware logs in as {initiator}")
        return 0
    if list_records:
        if portals:
            raise UsageError("--list shows the discovery records; it asks no portal", hint="leave out the portals")
        from iscsi_client.ops.discover import list_discovery

        records: list[DiscoveryRecord] = list_discovery(root=c.root)
        if c.json:
            emit_json({"discovery_records": rows_as_dicts(RECORD_COLUMNS, records)})
        else:
            print_table(RECORD_COLUMNS, records, empty="no discovery records (run 'isc discover PORTAL')")
        return 0
    if forget:
        if len(portals or ()) != 1:
            raise UsageError("--forget takes one portal", hint="'isc discover --list' lists the discovery records")
        from iscsi_client.ops.discover import forget_discovery

        portal = Portal.parse(portals[0], default_port=ISNS_PORT if isns else DEFAULT_PORT)
        removed = forget_discovery(root=c.root, adm=c.iscsiadm(), portal=portal,
                                   method="isns" if isns else "sendtargets")
        from iscsi_client.cli.nodes import NODE_COLUMNS

        if c.json:
            emit_json({"forgotten": portal.without_tpgt().address, "dry_run": c.dry_run,
                       "records_deleted": rows_as_dicts(NODE_COLUMNS, removed)})
            return 0
        verb = "would delete" if c.dry_run else "deleted"
        say(f"{verb} the discovery record of {portal.without_tpgt().address}")
        if removed:
            note(f"{verb} with it the {len(removed)} node record(s) discovered through it:")
            print_table(NODE_COLUMNS, removed)
        return 0
    if not portals:
        raise UsageError("give at least one portal to ask, e.g. isc discover 192.0.2.10")
    if login_targets and not login:
        raise UsageError("--target selects what --login logs in to; discovery itself always records every "
                         "target the portal offers", hint="add --login, or leave out --target")
    if clear_chap and chap_user:
        raise UsageError("--clear-chap and --chap-user contradict each other")
    if isns and chap_user:
        raise UsageError("open-iscsi has no CHAP for iSNS queries (--chap-user is for SendTargets discovery)",
                         hint="the targets' own CHAP is set per target with 'isc chap'")
    parsed = [Portal.parse(p, default_port=ISNS_PORT if isns else DEFAULT_PORT) for p in portals]
    wanted = [Iqn.parse(t) for t in login_targets or ()]
    if mutual_user and not chap_user:
        raise UsageError("--mutual-user needs --chap-user (mutual CHAP is on top of one-way CHAP)")
    chap = None
    if chap_user:
        from iscsi_client.cli.secret_input import read_chap_secrets
        from iscsi_client.ops.discover import DiscoveryChap

        secret, mutual = read_chap_secrets(user=chap_user, password_file=password_file,
                                           password_stdin=password_stdin, mutual_user=mutual_user,
                                           mutual_password_file=mutual_password_file, what="discovery CHAP")
        chap = DiscoveryChap(chap_user, secret, allow_long, mutual_user, mutual)
    from iscsi_client.ops.discover import discover

    if login and not c.dry_run:
        from iscsi_client import preload

        # what the login takes (with its device wait's udev monitor), loaded while the discovery runs
        preload.queue("iscsi_client.cli.outcomes", "iscsi_client.cli.progress", "iscsi_client.ops.login",
                      "iscsi_client.system.udev_monitor")
    found = discover(root=c.root, adm=c.iscsiadm(), portals=parsed, method="isns" if isns else "sendtargets",
                     chap=chap, clear_chap=clear_chap, iface=iface, keep_flagged=keep_flagged)
    if c.json:
        if not login or c.dry_run:
            emit_json({"targets": rows_as_dicts(FOUND_COLUMNS, found)})
            return 0
    elif c.dry_run:
        if login:
            note("would then log in to the targets the discovery returns")
        return 0
    else:
        _show_found(found, iface)
    if not login or c.dry_run:
        return 0
    from iscsi_client.cli.outcomes import render_outcomes
    from iscsi_client.cli.progress import progress_display
    from iscsi_client.ops.login import login_discovered

    with progress_display(enabled=not c.json) as progress:
        outcomes = login_discovered(root=c.root, adm=c.iscsiadm(), found=found, targets=wanted, iface=iface,
                                    wait=not no_wait, wait_timeout=wait_timeout, progress=progress,
                                    cmd=c.commands(), parallel=parallel)
    if not outcomes and not c.json:
        note("no record to log in to (the portal offered no target, or only flagged portals)")
    if not c.json:
        for step in dict.fromkeys(s for o in outcomes for s in o.steps):
            note(step)
    return render_outcomes(outcomes, json_out=c.json, key="logins",
                           json_extra={"targets": rows_as_dicts(FOUND_COLUMNS, found)})


def _show_found(found: list[Found], iface: str | None) -> None:
    through = sorted({i for f in found for i in f.ifaces})
    cols = FOUND_COLUMNS if through not in ([], ["default"]) else [c for c in FOUND_COLUMNS if c.key != "ifaces"]
    print_table(cols, found, empty="the portal answered with no targets")
    for f in found:
        if "link-local" in f.flags:
            note(f"warning: {f.target} advertises link-local portal {f.portal.address}; it only works on one link")
        if "unreachable" in f.flags:
            note(f"warning: {f.portal.address} (advertised for {f.target}) did not accept a TCP connection")
        if f.record == "skipped":
            note(f"  no record kept for {f.portal.address}; use --keep-flagged to keep it")
    kept = [f for f in found if f.record == "kept"]
    if kept:
        note(f"{len(kept)} existing record(s) kept as they were (startup and CHAP untouched)")
    new_via = sorted({i for f in found if f.record == "new" for i in f.ifaces} - {"default"})
    if iface is None and new_via:
        note(f"note: the new records go through iface {', '.join(new_via)}: once /etc/iscsi/ifaces holds an "
             "iface, iscsiadm discovers through every iface there instead of 'default'; -I IFACE picks one")


def _as_found(t: DiscoveredTarget) -> Found:
    from iscsi_client.ops.discover import Found

    return Found(str(t.target), t.portal, "firmware")
