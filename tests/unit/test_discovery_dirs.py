"""The discovery record directories as open-iscsi 2.1.8 lays them out (seen in the lab guest):
/etc/iscsi/isns/HOST,PORT/isns_config for a record made with `-m discoverydb`, and, beside it, the links
plain `-m discovery -t isns` leaves loose, named TARGET,HOST,PORT,TPGT,IFACE, which are no record."""

from __future__ import annotations

from pathlib import Path

from refdata import FIXTURES

from iscsi_client.system import nodedb
from iscsi_client.system.root import Root


def test_only_directories_holding_a_config_file_are_discovery_records(tmp_path: Path) -> None:
    etc = tmp_path / "etc/iscsi"
    record = etc / "isns/127.0.0.1,3205"
    record.mkdir(parents=True)
    (record / "isns_config").write_text((FIXTURES / "host/isns_config.txt").read_text())
    node = etc / "nodes/iqn.2003-01.org.isc.lab:multi/127.0.0.2,3260,1"
    node.mkdir(parents=True)
    (node / "9").write_text("node.name = iqn.2003-01.org.isc.lab:multi\n")
    # a loose link whose iface name is a number: it still ends in ",<digits>" like a portal directory
    (etc / "isns/iqn.2003-01.org.isc.lab:multi,127.0.0.2,3260,1,9").symlink_to(node)
    # a portal directory whose st_config is gone (a half-finished delete)
    (etc / "send_targets/192.0.2.10,3260").mkdir(parents=True)
    root = Root(tmp_path)
    assert nodedb.discovery_portals(root) == {"127.0.0.1:3205": "isns"}
    assert [(r.portal.address, r.method) for r in nodedb.read_discovery(root)] == [("127.0.0.1:3205", "isns")]


def test_a_discovery_record_holding_chap_is_among_the_secret_files(tmp_path: Path) -> None:
    record = tmp_path / "etc/iscsi/send_targets/192.0.2.10,3260"
    record.mkdir(parents=True)
    config = record / "st_config"
    config.write_text("discovery.startup = manual\ndiscovery.type = sendtargets\n"
                      "discovery.sendtargets.address = 192.0.2.10\ndiscovery.sendtargets.port = 3260\n"
                      "discovery.sendtargets.auth.authmethod = CHAP\n"
                      "discovery.sendtargets.auth.username = disc\n"
                      "discovery.sendtargets.auth.password = discsecret1234\n")
    config.chmod(0o644)
    (tmp_path / "etc/iscsi/isns/iqn.2003-01.org.isc.lab:multi,127.0.0.2,3260,1,default").parent.mkdir(parents=True)
    (tmp_path / "etc/iscsi/isns/iqn.2003-01.org.isc.lab:multi,127.0.0.2,3260,1,default").mkdir()
    found = nodedb.secret_files(Root(tmp_path))
    assert [(f.path, f.mode) for f in found] == [("/etc/iscsi/send_targets/192.0.2.10,3260/st_config", 0o644)]
    assert "discovery.sendtargets.auth.password" in found[0].keys
