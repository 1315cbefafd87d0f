"""Doctor checks are pure functions of Facts: each mistake gives its code, level and fix."""

from __future__ import annotations

import dataclasses

from iscsi_client.kernel_model import BlockDevice, Lun, MpPath, MultipathMap, PathGroup, Session
from iscsi_client.kernel_model import SessionView as View
from iscsi_client.model import Chap, Iqn, Node, Portal
from iscsi_client.ops.doctor_checks import CHECKS, explain, run_checks
from iscsi_client.ops.doctor_facts import Facts, FstabLine, PortalMtu
from iscsi_client.ops.initiator import InitiatorName
from iscsi_client.parsers.fstab import FstabEntry

T = Iqn.parse("iqn.2003-01.org.example:disk")
P1, P2 = Portal("192.0.2.1", 3260, 1), Portal("192.0.2.2", 3260, 1)


def disk(name: str, *, mounts: tuple[str, ...] = (), holders: tuple[str, ...] = ()) -> BlockDevice:
    return BlockDevice(name, "8:0", 1 << 30, "LIO-ORG", "disk", wwid="36001405abc", fstype="xfs", fs_uuid="u-1",
                       mountpoints=mounts, holders=holders)


def facts(**kw: object) -> Facts:
    base: dict[str, object] = dict(
        live=True, iscsiadm_installed=True, iscsid_running=True,
        units={"open-iscsi.service": True, "iscsid.socket": True},
        initiator=InitiatorName("iqn.1993-08.org.debian:01:0123456789ab", "/etc/iscsi/initiatorname.iscsi", True),
        initiator_text="InitiatorName=iqn.1993-08.org.debian:01:0123456789ab\n",
        nodes=[Node(T, P1, startup="automatic"), Node(T, P2, startup="automatic")], views=[], fstab=[], maps=[],
        mtus=[])
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def codes(f: Facts, level: str) -> list[str]:
    return sorted({x.code for x in run_checks(f) if x.level == level})


def test_a_healthy_host_has_no_findings_but_ok():
    assert codes(facts(), "failure") == [] and codes(facts(), "warning") == []


def test_one_path_mounted_of_a_two_path_lun():
    views = [View(Session(1, T, P1, recovery_tmo=120), (Lun("2:0:0:0", 0, "running", disk("sda", mounts=("/srv",))),)),
             View(Session(2, T, P2, recovery_tmo=120), (Lun("3:0:0:0", 0, "running", disk("sdb")),))]
    found = {x.code: x for x in run_checks(facts(views=views)) if x.level == "failure"}
    assert "not under multipath" in found["ISC020"].summary or "mounted directly" in found["ISC020"].summary
    assert found["ISC020"].fix is not None and "multipath config --write" in found["ISC020"].fix


def test_failed_path_and_slow_failover():
    m = BlockDevice("dm-0", "253:0", 1 << 30, wwid="36001405abc", dm_name="36001405abc", dm_uuid="mpath-36001405abc")
    views = [View(Session(1, T, P1, recovery_tmo=120), (Lun("2:0:0:0", 0, "running", disk("sda"), m),))]
    mp = MultipathMap("36001405abc", "36001405abc", "dm-0", "LIO-ORG", "disk", "1 queue_if_no_path", "1 alua",
                      "12 chk", (PathGroup(1, "service-time 0", 50, "active",
                                           (MpPath("sda", "8:0", "failed", "faulty", "running"),)),))
    f = facts(views=views, maps=[mp])
    assert "ISC022" in codes(f, "failure")
    assert {"ISC030", "ISC021"} <= set(codes(f, "warning"))  # 120 s with multipath; 1 of 2 portals


def test_fstab_mistakes():
    views = [View(Session(1, T, P1, recovery_tmo=120), (Lun("2:0:0:0", 0, "running", disk("sda")),))]
    nodes = [Node(T, P1, startup="manual")]
    f = facts(views=views, nodes=nodes, fstab=[FstabLine(FstabEntry("/dev/sda", "/srv", "xfs", "defaults"), None)])
    found = {x.code: x for x in run_checks(f) if x.level == "failure"}
    assert set(found) >= {"ISC040", "ISC041", "ISC042"}
    assert found["ISC041"].fix == "use UUID=u-1 in /etc/fstab (isc persist does)"
    assert found["ISC042"].fix == f"isc startup {T} automatic"


def test_a_session_reconnecting_and_an_offline_lun():
    up = facts(views=[View(Session(1, T, P1, state="LOGGED_IN", connection_state="up", recovery_tmo=120),
                           (Lun("2:0:0:0", 0, "running", disk("sda")),))])
    assert "ISC023" not in codes(up, "failure")
    down = facts(views=[View(Session(1, T, P1, state="FAILED", connection_state="failed", recovery_tmo=120),
                             (Lun("2:0:0:0", 0, "offline", disk("sda")),))])
    found = [x for x in run_checks(down) if x.code == "ISC023"]
    assert [x.level for x in found] == ["failure", "failure"]
    assert "is FAILED" in found[0].summary and "waits up to 120 s" in found[0].summary
    assert found[1].fix == "once the session is back: echo running > /sys/class/scsi_device/2:0:0:0/device/state"


def test_fstab_entry_for_a_partition_of_an_iscsi_disk_needs_netdev():
    part = BlockDevice("sda1", "8:1", 1 << 29, fstype="ext4", fs_uuid="p-1")
    d = BlockDevice("sda", "8:0", 1 << 30, partitions=(part,))
    views = [View(Session(1, T, P1, recovery_tmo=120), (Lun("2:0:0:0", 0, "running", d),))]
    f = facts(views=views, nodes=[Node(T, P1, startup="automatic")],
              fstab=[FstabLine(FstabEntry("UUID=p-1", "/srv/p", "ext4", "defaults"), None)])
    (x,) = [x for x in run_checks(f) if x.level == "failure"]
    assert x.code == "ISC040" and x.subject == "/srv/p"


def test_fstab_target_whose_boot_login_does_not_scan():
    d = BlockDevice("sda", "8:0", 1 << 30, fstype="xfs", fs_uuid="u-1")
    views = [View(Session(1, T, P1, recovery_tmo=120), (Lun("2:0:0:0", 0, "running", d),))]
    entry = FstabLine(FstabEntry("UUID=u-1", "/srv", "xfs", "_netdev,nofail"), None)
    scanned = facts(views=views, nodes=[Node(T, P1, startup="automatic")], fstab=[entry])
    assert codes(scanned, "failure") == []
    manual = facts(views=views, nodes=[Node(T, P1, startup="automatic", scan="manual")], fstab=[entry])
    (x,) = [x for x in run_checks(manual) if x.level == "failure"]
    assert x.code == "ISC043" and x.subject == "/srv"
    assert x.fix == f"isc nodes set {T} -p {P1.address} node.session.scan=auto"


def test_no_chap_on_a_network_portal_is_a_warning_loopback_is_not():
    chapless = [Node(T, P1, startup="automatic", chap=Chap())]
    remote = facts(nodes=chapless, views=[View(Session(1, T, P1, recovery_tmo=120))])
    assert "ISC050" in codes(remote, "warning")
    lo = Portal("127.0.0.1", 3260, 1)
    local = facts(nodes=[Node(T, lo, startup="automatic")], views=[View(Session(1, T, lo, recovery_tmo=120))])
    assert "ISC050" not in codes(local, "warning")


def test_initiator_placeholder_and_missing_units():
    f = facts(initiator_text="GenerateName=yes\n", units={"open-iscsi.service": False, "iscsid.socket": True})
    assert {"ISC003", "ISC002"} <= set(codes(f, "failure"))


def test_mtu_finding_has_the_probe_command():
    f = facts(mtus=[PortalMtu("192.0.2.1", False, "eth1", 9000, 8972, 1472)])
    (x,) = [x for x in run_checks(f) if x.code == "ISC010"]
    assert x.level == "failure" and "ping -4 -M do -s 8972 192.0.2.1" in (x.fix or "")


def test_every_code_explains_itself():
    assert len({c.code for c in CHECKS}) == len(CHECKS)
    assert explain("isc040") is not None and explain("ISC999") is None


def test_queue_depth_above_cmds_max():
    f = facts(nodes=[Node(T, P1, startup="automatic", queue_depth=256, cmds_max=128)])
    (x,) = [x for x in run_checks(f) if x.code == "ISC032"]
    assert x.level == "warning" and "node.session.cmds_max=1024" in (x.fix or "")


def _two_path_map() -> list[View]:
    m = BlockDevice("dm-0", "253:0", 1 << 30, wwid="36001405abc", dm_name="36001405abc", dm_uuid="mpath-36001405abc")
    return [View(Session(1, T, P1, recovery_tmo=5), (Lun("2:0:0:0", 0, "running", disk("sda"), m),)),
            View(Session(2, T, P2, recovery_tmo=5), (Lun("3:0:0:0", 0, "running", disk("sdb"), m),))]


def test_all_paths_of_a_map_through_one_nic():
    same = facts(views=_two_path_map(), egress={1: "eth0", 2: "eth0"})
    (x,) = [x for x in run_checks(same) if x.code == "ISC024"]
    assert x.level == "warning" and "all 2 paths (192.0.2.1:3260, 192.0.2.2:3260) leave through eth0" in x.summary
    assert x.fix is not None and "isc iface add" in x.fix
    apart = facts(views=_two_path_map(), egress={1: "eth0", 2: "eth1"})
    assert [x.level for x in run_checks(apart) if x.code == "ISC024"] == ["ok"]
    # loopback portals (a lab, a local target) are not a NIC to lose
    loop = facts(views=_two_path_map(), egress={1: "lo", 2: "lo"})
    assert [x.level for x in run_checks(loop) if x.code == "ISC024"] == ["ok"]


def test_chap_secrets_readable_by_others_and_defaults_in_iscsid_conf():
    from iscsi_client.system.nodedb import SecretFile

    private = SecretFile("/etc/iscsi/nodes/t/192.0.2.1,3260,1/default", 0o600, ("node.session.auth.password",))
    assert codes(facts(secret_files=[private]), "failure") == []
    loose = SecretFile("/etc/iscsi/nodes/t/192.0.2.2,3260,1/default", 0o644, ("node.session.auth.password",))
    conf = SecretFile("/etc/iscsi/iscsid.conf", 0o644, ("node.session.auth.password",), defaults=True)
    found = {x.code: x for x in run_checks(facts(secret_files=[private, loose, conf]))}
    assert found["ISC051"].level == "failure" and "2 file(s)" in found["ISC051"].summary
    assert found["ISC051"].fix == f"chmod go= {loose.path} /etc/iscsi/iscsid.conf"
    assert found["ISC052"].level == "warning" and "every record created" in found["ISC052"].summary
    many = [SecretFile(f"/etc/iscsi/nodes/t/192.0.2.{i},3260,1/default", 0o640, ("node.session.auth.password",))
            for i in range(5)]
    (finding,) = [x for x in run_checks(facts(secret_files=many)) if x.code == "ISC051"]
    assert "and 2 more" in finding.summary and finding.fix == "chmod -R go= /etc/iscsi/nodes"


def test_a_portal_through_default_beside_a_bound_iface():
    mixed = facts(nodes=[Node(T, P1, "default"), Node(T, P1, "iface-eth1"), Node(T, P2, "iface-eth2")])
    (x,) = [x for x in run_checks(mixed) if x.code == "ISC025"]
    assert x.level == "warning" and f"{T} on 192.0.2.1:3260 has a record through default beside iface-eth1" in x.summary
    assert x.fix is not None and f"isc nodes delete {T} -p 192.0.2.1:3260 -I default" in x.fix
    # default alone, bound ifaces alone, or default beside a transport iface (iser): nothing to say
    for nodes in ([Node(T, P1)], [Node(T, P1, "iface-eth1"), Node(T, P2, "iface-eth2")],
                  [Node(T, P1), Node(T, P1, "iser")]):
        assert [x.level for x in run_checks(facts(nodes=nodes)) if x.code == "ISC025"] == ["ok"]


def test_a_filesystem_mounted_by_hand_is_not_persistent():
    """Mounted from an iSCSI LUN with neither an fstab line nor a mount unit: gone after a reboot."""
    lun = Lun("2:0:0:0", 0, "running", disk("sda", mounts=("/srv/x",)))
    views = [View(Session(1, T, P1, recovery_tmo=120), (lun,))]
    (w,) = [x for x in run_checks(facts(views=views)) if x.code == "ISC044"]
    assert w.level == "warning" and "/srv/x" in w.summary and "/dev/sda" in w.summary
    assert w.fix == f"isc persist {T}/0 /srv/x"
    in_fstab = [FstabLine(FstabEntry("UUID=u-1", "/srv/x", "xfs", "_netdev,nofail"), None)]
    assert not [x for x in run_checks(facts(views=views, fstab=in_fstab)) if x.code == "ISC044"]
    as_unit = facts(views=views, mount_units=frozenset({"srv-x.mount"}))
    assert not [x for x in run_checks(as_unit) if x.code == "ISC044"]


def test_chap_changed_on_the_record_after_the_login():
    """The kernel's session keeps the CHAP user it logged in with; the record's new one waits for a login."""
    views = [View(Session(1, T, P1, recovery_tmo=120), ())]
    now_chap = [Node(T, P1, startup="automatic", chap=Chap("CHAP", "alice", True)), Node(T, P2, startup="automatic")]
    (w,) = [x for x in run_checks(facts(views=views, nodes=now_chap, session_chap_users={1: None}))
            if x.code == "ISC053"]
    assert w.level == "warning" and "logged in without CHAP" in w.summary and "CHAP user alice" in w.summary
    assert w.fix is not None and f"isc logout {T} -p {P1.address} && isc login {T} -p {P1.address}" in w.fix
    same = facts(views=views, nodes=now_chap, session_chap_users={1: "alice"})
    assert not [x for x in run_checks(same) if x.code == "ISC053"]
    cleared = facts(views=views, session_chap_users={1: "alice"})  # records without CHAP
    (c,) = [x for x in run_checks(cleared) if x.code == "ISC053"]
    assert "as CHAP user alice" in c.summary and "no CHAP" in c.summary
    unknown = facts(views=views, nodes=now_chap)  # no live value read (an older snapshot): nothing claimed
    assert not [x for x in run_checks(unknown) if x.code == "ISC053"]


def test_a_map_that_queues_forever():
    def mpmap(queueing: str) -> MultipathMap:
        return MultipathMap("36001405abc", "36001405abc", "dm-0", "LIO-ORG", "disk", "1 queue_if_no_path", "1 alua",
                            queueing, (PathGroup(1, "service-time 0", 50, "active",
                                                 (MpPath("sda", "8:0", "active", "ready", "running"),)),))
    (w,) = [x for x in run_checks(facts(maps=[mpmap("on")])) if x.code == "ISC026"]
    assert w.level == "warning" and "forever" in w.summary and w.fix is not None and "no_path_retry" in w.fix
    for bounded in ("12 chk", "60 sec", "off", "-"):
        assert not [x for x in run_checks(facts(maps=[mpmap(bounded)])) if x.code == "ISC026"]


def test_the_units_that_mount_iscsi_filesystems_at_boot():
    by_uuid = FstabLine(FstabEntry("UUID=u-1", "/srv/a", "xfs", "_netdev,nofail"), f"{T} lun 0")
    by_map = FstabLine(FstabEntry("/dev/disk/by-id/dm-uuid-mpath-36001405abc", "/srv/b", "xfs", "_netdev,nofail"),
                       f"{T} lun 1")
    units = {"open-iscsi.service": True, "iscsid.socket": True, "remote-fs.target": False,
             "multipathd.service": False}
    found = {x.code: x for x in run_checks(facts(fstab=[by_uuid, by_map], units=units)) if x.level == "failure"}
    assert "/srv/a, /srv/b stay unmounted" in found["ISC045"].summary
    assert found["ISC045"].fix == "systemctl enable remote-fs.target"
    assert "/srv/b need a multipath map" in found["ISC046"].summary
    assert found["ISC046"].fix == "systemctl enable multipathd.service"
    enabled = dict(units, **{"remote-fs.target": True, "multipathd.service": True})
    assert not {"ISC045", "ISC046"} & {x.code for x in run_checks(facts(fstab=[by_uuid, by_map], units=enabled))}
    # no iSCSI line in fstab: what those units do is not doctor's business
    assert not {"ISC045", "ISC046"} & {x.code for x in run_checks(facts(units=units))}


def test_initiator_name_changed_under_live_sessions():
    name = "iqn.1993-08.org.debian:01:0123456789ab"  # the name facts() puts in initiatorname.iscsi
    views = [View(Session(1, T, P1, recovery_tmo=120, initiator="iqn.2005-03.org.example:old"), ()),
             View(Session(2, T, P2, recovery_tmo=120, initiator="iqn.2005-03.org.example:old"), ())]
    (w,) = [x for x in run_checks(facts(views=views)) if x.code == "ISC004"]
    assert w.level == "warning" and w.subject == "1,2" and "logged in as iqn.2005-03.org.example:old" in w.summary
    assert w.fix is not None and "systemctl restart iscsid" in w.fix and name in w.fix
    same = [View(Session(1, T, P1, recovery_tmo=120, initiator=name), ())]
    assert not [x for x in run_checks(facts(views=same)) if x.code == "ISC004"]


def test_an_iface_with_its_own_initiator_name_is_not_a_changed_name():
    views = [View(Session(1, T, P1, recovery_tmo=120, iface="iface-eth1", initiator="iqn.2005-03.org.example:eth1"),
                  ())]
    own = facts(views=views, iface_initiators={"iface-eth1": "iqn.2005-03.org.example:eth1"})
    assert not [x for x in run_checks(own) if x.code == "ISC004"]
    assert [x.code for x in run_checks(facts(views=views)) if x.code == "ISC004"] == ["ISC004"]


def test_a_map_with_no_working_path_says_what_its_io_does_now():
    """ISC028 reads multipathd's queueing summary of a map whose every path failed (lab: the target's TPG
    disabled under I/O, tests/lab/test_faults.py)."""
    def all_failed(queueing: str, features: str = "1 queue_if_no_path") -> MultipathMap:
        return MultipathMap("36001405abc", "36001405abc", "dm-0", "LIO-ORG", "disk", features, "1 alua", queueing,
                            (PathGroup(1, "service-time 0", 0, "enabled",
                                       (MpPath("sda", "8:0", "failed", "faulty", "running"),
                                        MpPath("sdb", "8:16", "failed", "faulty", "running"))),))

    def isc028(m: MultipathMap) -> str:
        (x,) = [x for x in run_checks(facts(maps=[m])) if x.code == "ISC028"]
        assert x.level == "failure" and x.subject == "36001405abc" and x.fix and "bring a path back" in x.fix
        return x.summary

    assert "fails in 55 s unless a path comes back" in isc028(all_failed("55 sec"))
    assert "queued until a path comes back" in isc028(all_failed("on"))
    assert "I/O to it fails: queueing has stopped" in isc028(all_failed("off", features="0"))
    healthy = _two_path_map()
    one_left = all_failed("12 chk").path_groups[0].paths[:1] + (MpPath("sdb", "8:16", "active", "ready", "running"),)
    m = dataclasses.replace(all_failed("12 chk"), path_groups=(PathGroup(1, "service-time 0", 50, "active", one_left),))
    assert not [x for x in run_checks(facts(views=healthy, maps=[m])) if x.code == "ISC028"]


def test_a_session_down_says_whether_another_path_of_its_map_carries_the_io():
    one, two = _two_path_map()
    down = dataclasses.replace(one, session=dataclasses.replace(one.session, state="FREE", connection_state="failed"))
    up = dataclasses.replace(two, session=dataclasses.replace(two.session, state="LOGGED_IN"))
    gone = dataclasses.replace(up, session=dataclasses.replace(up.session, state="FREE", connection_state="failed"))

    def says(views: list[View]) -> list[str]:
        return [x.summary for x in run_checks(facts(views=views)) if x.code == "ISC023" and x.level == "failure"]

    (s,) = says([down, up])
    assert "I/O moves to the other paths" in s
    both = says([down, gone])
    assert len(both) == 2 and all("no other path of its map is logged in" in x and "(ISC028)" in x for x in both)


def test_a_map_short_of_the_sessions_nr_sessions_asks_for():
    """Two sessions per portal asked for, one per portal logged in: every portal has a path, still a warning."""
    m = BlockDevice("dm-0", "253:0", 1 << 30, wwid="36001405abc", dm_name="36001405abc", dm_uuid="mpath-36001405abc")
    views = [View(Session(1, T, P1, recovery_tmo=5), (Lun("2:0:0:0", 0, "running", disk("sda"), m),)),
             View(Session(2, T, P2, recovery_tmo=5), (Lun("3:0:0:0", 0, "running", disk("sdb"), m),))]
    two = [Node(T, P1, startup="automatic", nr_sessions=2), Node(T, P2, startup="automatic", nr_sessions=2)]
    found = [x for x in run_checks(facts(views=views, nodes=two)) if x.code == "ISC021" and x.level == "warning"]
    assert len(found) == 1 and "4 session(s)" in found[0].summary
    one = [dataclasses.replace(n, nr_sessions=1) for n in two]
    assert not [x for x in run_checks(facts(views=views, nodes=one)) if x.code == "ISC021" and x.level == "warning"]
