"""isc doctor's checks: each a stable code, a title, an explanation, and a pure function of the Facts that
returns findings (ok, warning, failure, skipped) with the fix to run."""

from __future__ import annotations

import re
from collections.abc import Callable

from iscsi_client.ops.doctor_facts import Facts
from iscsi_client.ops.doctor_finding import FAILURE, OK, SKIPPED, WARNING, Check, Finding
from iscsi_client.ops.doctor_finding import finding as _f
from iscsi_client.ops.doctor_fstab import fstab
from iscsi_client.ops.doctor_paths import (
    default_beside_bound,
    multipathed_sessions,
    nic_redundancy,
    paths,
    session_health,
)


# --- the initiator software --------------------------------------------------------------------------
def iscsid(f: Facts) -> list[Finding]:
    if not f.live:
        return [_f("ISC001", SKIPPED, "not checked under --root")]
    out = []
    if not f.iscsiadm_installed:
        out.append(_f("ISC001", FAILURE, "iscsiadm is not installed",
                      "apt install open-iscsi  (or: dnf install iscsi-initiator-utils)"))
    if f.iscsid_running:
        out.append(_f("ISC001", OK, "iscsid is running"))
    else:
        out.append(_f("ISC001", FAILURE if f.views or f.nodes else WARNING, "iscsid is not running",
                      "systemctl enable --now iscsid.socket  (or start iscsid)"))
    return out


def boot_services(f: Facts) -> list[Finding]:
    auto = [n for n in f.nodes if n.startup == "automatic"]
    if not auto:
        return [_f("ISC002", OK, "no record logs in at boot; boot services not needed")]
    login_units = [u for u in ("open-iscsi.service", "iscsi.service") if u in f.units]
    if not login_units:
        return [_f("ISC002", WARNING, "no open-iscsi.service or iscsi.service unit found; cannot tell what logs in "
                                      "at boot")]
    out = []
    for u in login_units[:1] + [u for u in ("iscsid.socket", "iscsid.service") if u in f.units][:1]:
        if f.units[u]:
            out.append(_f("ISC002", OK, f"{u} is enabled"))
        else:
            out.append(_f("ISC002", FAILURE, f"{len(auto)} record(s) log in at boot but {u} is not enabled",
                          f"systemctl enable {u}", u))
    return out


KNOWN_DEFAULTS = ("iqn.1993-08.org.debian:01:", "iqn.2004-10.com.ubuntu:01:", "iqn.1994-05.com.redhat:",
                  "iqn.1996-04.de.suse:01:")


def initiator_name(f: Facts) -> list[Finding]:
    found = _initiator_name_itself(f)
    name = f.initiator.name
    if name is None or not f.initiator.valid:
        return found
    stale: dict[str, list[str]] = {}
    for v in f.views:
        if (str(v.session.target), v.session.portal.address) in f.firmware and \
                v.session.initiator == f.initiator.firmware:
            continue  # the firmware's own session logs in with the firmware's name (ISC005)
        # an iface may carry its own initiator name (iface.initiatorname): its sessions use that one
        if v.session.initiator and v.session.initiator != f.iface_initiators.get(v.session.iface, name):
            stale.setdefault(v.session.initiator, []).append(str(v.session.sid))
    for old, sids in sorted(stale.items()):
        found.append(_f("ISC004", WARNING, f"session(s) {', '.join(sids)} logged in as {old}, but "
                        f"initiatorname.iscsi now names {name}: the name changed and iscsid or the sessions were not "
                        "restarted (targets see the old name until they are)",
                        "systemctl restart iscsid, then log out and in again; the targets' ACLs must name "
                        f"{name}", ",".join(sids)))
    return found


def _initiator_name_itself(f: Facts) -> list[Finding]:
    i = f.initiator
    if i.name is None:
        return [_f("ISC003", FAILURE, f"no initiator name in {i.path}", "isc initiator set --generate")]
    if not i.valid:
        return [_f("ISC003", FAILURE, f"initiator name {i.name!r} is invalid: {i.problem}",
                   "isc initiator set --generate")]
    if "GenerateName=yes" in f.initiator_text or any(i.name == p.rstrip(":") or i.name == p for p in KNOWN_DEFAULTS):
        return [_f("ISC003", FAILURE, f"initiator name {i.name} is a distribution placeholder, not unique",
                   "isc initiator set --generate && systemctl restart iscsid")]
    suffix = i.name.rsplit(":", 1)[-1] if ":" in i.name else ""
    if any(i.name.startswith(p) for p in KNOWN_DEFAULTS) and not re.fullmatch(r"[0-9a-f]{6,}", suffix):
        return [_f("ISC003", WARNING, f"initiator name {i.name} looks hand-made from a distribution template; "
                                      "names copied between hosts (cloned images) break ACLs and sessions",
                   "isc initiator set --generate  (then update the targets' ACLs)")]
    return [_f("ISC003", OK, f"initiator name {i.name}")]


# --- the boot firmware (iBFT) ---------------------------------------------------------------------------
def boot_firmware(f: Facts) -> list[Finding]:
    out = []
    fw, name = f.initiator.firmware, f.initiator.name
    if fw and name and fw != name:
        out.append(_f("ISC005", WARNING, f"the boot firmware (iBFT) logs in as {fw} but initiatorname.iscsi "
                      f"names {name}: targets admit the firmware's name, and a login with the other one (a record "
                      "without iface.initiatorname, the boot disk's session made again by open-iscsi) is refused",
                      f"isc initiator set {fw} && systemctl restart iscsid", fw))
    multipathed = {(str(v.session.target), v.session.portal.address) for v in f.views if any(x.map for x in v.luns)}
    for n in f.nodes:
        key = (str(n.target), n.portal.address)
        if key not in f.firmware:
            continue
        if n.startup != "onboot":
            out.append(_f("ISC006", WARNING, f"the record of the firmware's target {n.target} on {n.portal.address} "
                          f"says node.startup {n.startup}, not onboot: when open-iscsi stops (shutdown, an upgrade) "
                          "it logs out every session but onboot ones, taking a boot disk away before it is "
                          "unmounted", f"isc startup {n.target} onboot", str(n.target)))
        tmo = n.replacement_timeout
        if tmo is not None and tmo < 120 and key not in multipathed:
            out.append(_f("ISC006", WARNING, f"the record of the firmware's target {n.target} on {n.portal.address} "
                          f"has replacement_timeout {tmo} s, a multipath path's setting: a network outage that long "
                          "fails I/O on a boot disk that has no other path",
                          f"isc nodes set {n.target} node.session.timeo.replacement_timeout=120", str(n.target)))
    if out:
        return out
    if not fw:
        return [_f("ISC005", OK, "no boot firmware (iBFT) table")]
    return [_f("ISC005", OK, "the boot firmware (iBFT) logs in as this host's initiator name; its targets' "
               "records keep boot-safe settings")]


# --- the network ----------------------------------------------------------------------------------------
def mtu(f: Facts) -> list[Finding]:
    if not f.live:
        return [_f("ISC010", SKIPPED, "not checked under --root")]
    if not f.mtus:
        return [_f("ISC010", OK, "no portal in use to probe")]
    out = []
    for m in f.mtus:
        if m.dev is None or m.mtu is None or m.expected_payload is None:
            out.append(_f("ISC010", WARNING, f"no route to portal {m.address}", f"ip route get {m.address}", m.address))
        elif m.largest_payload is None:
            out.append(_f("ISC010", WARNING, f"portal {m.address} does not answer ping; path MTU not checked",
                          None, m.address))
        elif m.largest_payload < m.expected_payload:
            frame = m.largest_payload + (48 if m.ipv6 else 28)
            flag = "-6" if m.ipv6 else "-4"
            out.append(_f("ISC010", FAILURE,
                          f"MTU mismatch on the way to {m.address}: {m.dev} has MTU {m.mtu} but only packets up to "
                          f"{frame} bytes get through unfragmented (jumbo frames not enabled end to end)",
                          f"set the same MTU on every hop (switch ports, target NIC), or lower {m.dev}: "
                          f"ip link set {m.dev} mtu {frame}; check with: ping {flag} -M do -s "
                          f"{m.expected_payload} {m.address}", m.address))
        else:
            out.append(_f("ISC010", OK, f"{m.address} via {m.dev}: MTU {m.mtu} passes end to end", None, m.address))
    return out


# --- timeouts -------------------------------------------------------------------------------------------
def timeouts(f: Facts) -> list[Finding]:
    out = []
    multipathed = multipathed_sessions(f)
    for v in f.views:
        s = v.session
        rec = [n for n in f.nodes if n.target == s.target and n.portal.address == s.portal.address]
        if s.recovery_tmo is None:
            continue
        if s.sid in multipathed and s.recovery_tmo > 15:
            out.append(_f("ISC030", WARNING, f"session {s.sid} ({s.portal.address}) is multipathed but waits "
                          f"{s.recovery_tmo} s before failing I/O over (replacement_timeout)",
                          f"isc nodes set {s.target} -p {s.portal.address} "
                          "node.session.timeo.replacement_timeout=5", str(s.sid)))
        if s.sid not in multipathed and s.recovery_tmo < 30:
            out.append(_f("ISC030", WARNING, f"session {s.sid} ({s.portal.address}) has no multipath but fails I/O "
                          f"after {s.recovery_tmo} s of network trouble", "raise node.session.timeo.replacement_"
                          "timeout (120 is the default) or add multipath", str(s.sid)))
        if rec and rec[0].replacement_timeout is not None and rec[0].replacement_timeout != s.recovery_tmo \
                and s.sid not in multipathed:
            out.append(_f("ISC031", WARNING, f"session {s.sid}: live recovery_tmo {s.recovery_tmo} s differs from "
                          f"the record's replacement_timeout {rec[0].replacement_timeout} s (next login changes it)",
                          None, str(s.sid)))
    for n in f.nodes:
        if n.queue_depth and n.cmds_max and n.queue_depth > n.cmds_max:
            out.append(_f("ISC032", WARNING, f"{n.target} {n.portal.address}: queue_depth {n.queue_depth} is larger "
                          f"than cmds_max {n.cmds_max}; the session can never have that many commands outstanding",
                          f"isc nodes set {n.target} -p {n.portal.address} "
                          f"node.session.cmds_max={max(128, n.queue_depth * 4)}", str(n.target)))
    return out or [_f("ISC030", OK, "session timeouts suit their multipath setup")]


# --- security -------------------------------------------------------------------------------------------
def security(f: Facts) -> list[Finding]:
    out = []
    for v in f.views:
        s = v.session
        rec = [n for n in f.nodes if n.target == s.target and n.portal.address == s.portal.address]
        if rec and rec[0].chap.method != "CHAP" and not s.portal.is_loopback:
            out.append(_f("ISC050", WARNING, f"{s.target} on {s.portal.address} is used without CHAP: anyone who "
                          "reaches the portal and knows (or guesses) an allowed initiator name can connect",
                          f"isc chap {s.target} --user NAME  (and enable CHAP on the target)", str(s.sid)))
    out += _chap_changed_since_login(f)
    return out or [_f("ISC050", OK, "sessions on network portals use CHAP")]


def _chap_changed_since_login(f: Facts) -> list[Finding]:
    """The kernel keeps the CHAP user a session logged in with; a record changed since (isc chap, --clear)
    applies only at the next login."""
    out = []
    for v in f.views:
        s = v.session
        if s.sid not in f.session_chap_users:
            continue
        live = f.session_chap_users[s.sid]
        rec = [n for n in f.nodes if n.target == s.target and n.portal.address == s.portal.address
               and n.iface == s.iface]
        if not rec:
            continue
        want = rec[0].chap.username if rec[0].chap.method == "CHAP" else None
        if want == live:
            continue
        now = f"CHAP user {want}" if want else "no CHAP"
        was = f"as CHAP user {live}" if live else "without CHAP"
        out.append(_f("ISC053", WARNING, f"session {s.sid} ({s.target} on {s.portal.address}) logged in {was}, but "
                      f"its record now has {now}; that applies only at the next login",
                      f"log out and in again when the LUN is free: isc logout {s.target} -p {s.portal.address} && "
                      f"isc login {s.target} -p {s.portal.address}", str(s.sid)))
    return out


def secrets_on_disk(f: Facts) -> list[Finding]:
    out = []
    loose = [s.path for s in f.secret_files if s.mode & 0o077]
    if loose:
        shown = ", ".join(loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
        fix = (f"chmod go= {' '.join(loose)}" if len(loose) <= 3
               else "chmod -R go= " + " ".join(sorted({"/".join(p.split("/")[:4]) for p in loose})))
        out.append(_f("ISC051", FAILURE, f"{len(loose)} file(s) holding CHAP secrets are readable by group or "
                      f"others: {shown}", fix))
    for conf in (s for s in f.secret_files if s.defaults):
        out.append(_f("ISC052", WARNING, f"{conf.path} sets {', '.join(conf.keys)}: every record created "
                      "from now on (each discovery, each new target) is given these credentials",
                      f"set CHAP per target (isc chap TARGET --user NAME) and comment out those lines in "
                      f"{conf.path}", conf.path))
    if out:
        return out
    if not f.secret_files:
        return [_f("ISC051", OK, "no CHAP secret is stored on this host")]
    return [_f("ISC051", OK, f"the {len(f.secret_files)} file(s) holding CHAP secrets are readable by root only")]


CHECKS: list[Check] = [
    Check("ISC001", "iscsid and iscsiadm", "open-iscsi's daemon (iscsid) performs logins and error recovery; "
          "iscsiadm talks to it. Without iscsid nothing logs in, at boot or by hand.", iscsid),
    Check("ISC002", "boot services", "Records with node.startup automatic log in at boot only if the "
          "distribution's login unit (open-iscsi.service on Debian/Ubuntu, iscsi.service on RHEL/SUSE) and "
          "iscsid are enabled.", boot_services),
    Check("ISC003", "initiator name", "Targets grant access by initiator name (ACL). Two hosts with the same "
          "name (a cloned image) kick each other's sessions out and see each other's LUNs.", initiator_name),
    Check("ISC004", "initiator name changed under sessions", "iscsid reads the initiator name when it starts, "
          "and a session keeps the name it logged in with. After initiatorname.iscsi changes, targets go on "
          "seeing the old name until iscsid restarts and the sessions log in again, and an ACL made for the new "
          "name seems not to work.", initiator_name),
    Check("ISC005", "firmware initiator name", "A host that boots from iSCSI logs in first from its firmware "
          "(iBFT) with the firmware's initiator name; the target's ACL names that one. When initiatorname.iscsi "
          "says another, open-iscsi's own logins are refused.", boot_firmware),
    Check("ISC006", "boot-disk record settings", "The firmware's targets need node.startup onboot (open-iscsi "
          "logs out every other session when it stops) and a long replacement_timeout unless the boot disk is "
          "multipathed.", boot_firmware),
    Check("ISC010", "MTU end to end", "Jumbo frames help only when every hop has the same MTU; a smaller MTU "
          "on the way makes large iSCSI PDUs vanish (logins work, I/O stalls). isc pings each portal with the "
          "don't-fragment bit at the largest payload the interface MTU allows (IPv4: MTU-28, IPv6: MTU-48).", mtu),
    Check("ISC020", "single-path LUNs", "A LUN reachable on several portals must be used through its multipath "
          "map; a filesystem mounted on one sd path loses the redundancy and two paths written independently "
          "corrupt data.", paths),
    Check("ISC021", "missing paths", "A map with fewer paths than the target offers has lost redundancy "
          "(a portal not logged in).", paths),
    Check("ISC022", "failed paths", "multipathd reports a path as failed or faulty: I/O goes over the rest.",
          paths),
    Check("ISC023", "session and LUN state", "A session that is not LOGGED_IN has lost its connection and the "
          "kernel is reconnecting; its SCSI devices are blocked meanwhile and transport-offline after "
          "replacement_timeout. A device the SCSI layer set offline stays so until set running.", session_health),
    Check("ISC024", "paths through one NIC", "Multipath protects against a failed path only if the paths "
          "are independent. Sessions to two portals in the same subnet all leave through the NIC the routing "
          "table picks; bind an iface to each NIC (iscsiadm's iface binding) so each path has its own.",
          nic_redundancy),
    Check("ISC025", "default beside bound ifaces", "Once ifaces are bound to NICs, a record of the same portal "
          "through the default iface adds a session that ignores the binding (it leaves through the NIC the "
          "routing table picks). Records discovered before the ifaces existed stay on default.",
          default_beside_bound),
    Check("ISC027", "tgt's one-portal discovery", "tgt (stgt, vendor IET) answers SendTargets with the portal "
          "the initiator asked only, where LIO lists every portal of the target: records, sessions and paths "
          "exist only for the portals that were each asked. Informational: a single-path tgt LUN may be what "
          "was meant.", paths),
    Check("ISC028", "no working path", "Every path of a map has failed. multipathd then queues the map's I/O "
          "for no_path_retry checker intervals (a short outage passes unnoticed), for ever with queue, or fails "
          "it at once with fail; once the queueing has run out, reads and writes get errors and a filesystem on "
          "the map may shut down.", paths),
    Check("ISC026", "queueing forever", "no_path_retry queue (queue_if_no_path with no limit) holds I/O "
          "for as long as all paths are down: nothing fails, so applications, umount and shutdown hang. A number "
          "of checker intervals queues through a short outage and then fails the I/O.", paths),
    Check("ISC030", "failover timeouts", "With multipath, replacement_timeout (the session's recovery_tmo) "
          "should be short (5 s) so I/O moves to another path quickly; without multipath it should be long (120 "
          "s) so a network blip does not become an I/O error.", timeouts),
    Check("ISC031", "record vs live timeout", "The live session keeps the timeout it logged in with; the node "
          "record's value applies at the next login.", timeouts),
    Check("ISC032", "queue depth", "node.session.queue_depth is the most commands outstanding per LUN, "
          "cmds_max per session (all LUNs together); a queue depth above cmds_max is never reached and hides a "
          "mistuned record.", timeouts),
    Check("ISC040", "fstab _netdev and nofail", "An iSCSI filesystem needs _netdev so systemd mounts it after "
          "the network and iSCSI logins, and nofail so an unreachable target does not stop the boot.", fstab),
    Check("ISC041", "fstab by kernel name", "/dev/sdX names follow discovery order and change between boots; "
          "UUID= (or the multipath map) is stable.", fstab),
    Check("ISC042", "fstab target without boot login", "A filesystem in fstab whose target has node.startup "
          "manual is not there after a reboot.", fstab),
    Check("ISC043", "fstab target without LUN scan", "A record with node.session.scan manual logs in at boot "
          "but the kernel does not scan its LUNs, so a filesystem on them is not there to mount.", fstab),
    Check("ISC044", "mounted, not persistent", "A filesystem mounted by hand from an iSCSI LUN (no fstab line, "
          "no mount unit) is gone after the next reboot, although its session may come back.", fstab),
    Check("ISC045", "remote-fs.target", "systemd's fstab generator hangs every _netdev mount under "
          "remote-fs.target; with that target disabled, no iSCSI filesystem is mounted at boot.", fstab),
    Check("ISC046", "multipathd at boot", "A filesystem mounted through a multipath map needs multipathd at "
          "boot to assemble the map from its paths.", fstab),
    Check("ISC050", "CHAP", "Without CHAP, the only protection is the initiator name in the target's ACL, "
          "which is sent in clear and easy to copy.", security),
    Check("ISC051", "CHAP secrets on disk", "open-iscsi keeps CHAP secrets in clear text in its node and "
          "discovery records (and in iscsid.conf when set there); iscsiadm writes them readable by root only. "
          "A copy made with other permissions (a backup, configuration management) hands them to every user.",
          secrets_on_disk),
    Check("ISC052", "CHAP defaults in iscsid.conf", "Guides often set node.session.auth.* in iscsid.conf; those "
          "are defaults copied into every record created afterwards, so every target discovered later is sent "
          "the same credentials, and the file is world-readable on Debian.", secrets_on_disk),
    Check("ISC053", "CHAP changed since login", "A session keeps the CHAP settings it logged in with; isc chap "
          "(or --clear) changes the node record, which the kernel uses at the next login. Until then the "
          "session runs as before, and a wrong new secret shows only at the next reconnect or reboot.",
          security),
]


def run_checks(f: Facts) -> list[Finding]:
    seen: set[Callable[[Facts], list[Finding]]] = set()
    out: list[Finding] = []
    for c in CHECKS:
        if c.run in seen:
            continue
        seen.add(c.run)
        out.extend(c.run(f))
    return out


def explain(code: str) -> Check | None:
    return next((c for c in CHECKS if c.code == code.upper()), None)
