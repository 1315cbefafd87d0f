"""isc iface with the real iscsiadm (in the throwaway /etc/iscsi): an iface bound to a NIC, a record that
uses it, and the refusals that keep records and sessions consistent."""

from __future__ import annotations

import json

from hostenv import NOAUTH


def ifaces(host) -> dict[str, dict]:
    r = host.isc("--json", "iface")
    assert r.returncode == 0, r.stderr
    return {i["name"]: i for i in json.loads(r.stdout)["ifaces"]}


def test_add_bind_use_in_a_record_then_delete(host):
    r = host.isc("-v", "iface", "add", "iface-lo", "--netdev", "lo")
    assert r.returncode == 0, r.stderr
    assert "added iface iface-lo (bound to lo)" in r.stdout
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("+ iscsiadm")]) == 2  # new + one update
    # iscsiadm itself sees the binding
    assert "iface-lo tcp,<empty>,<empty>,lo,<empty>" in host.iscsiadm("-m", "iface").stdout
    assert ifaces(host)["iface-lo"]["netdev"] == "lo"

    again = host.isc("-v", "iface", "add", "iface-lo", "--netdev", "lo")
    assert again.returncode == 0 and "already as asked" in again.stdout and "+ iscsiadm" not in again.stderr

    # (discovery through a bound iface needs iscsid, which the host tests do not run: the lab does it)
    a = host.isc("nodes", "add", NOAUTH, "127.0.0.1", "-I", "iface-lo")
    assert a.returncode == 0, a.stderr
    nodes = json.loads(host.isc("--json", "nodes").stdout)["nodes"]
    assert [(n["target"], n["iface"]) for n in nodes] == [(NOAUTH, "iface-lo")]
    assert "iface.iscsi_ifacename = iface-lo" in host.iscsiadm("-m", "node", "-T", NOAUTH, "-o", "show").stdout
    assert ifaces(host)["iface-lo"]["records"] == 1

    # iscsiadm would replace that static record with one for another iface on the same portal: refused
    other = host.isc("nodes", "add", NOAUTH, "127.0.0.1", "-I", "default")
    assert other.returncode == 7 and "would silently replace it" in other.stderr
    assert [n["iface"] for n in json.loads(host.isc("--json", "nodes").stdout)["nodes"]] == ["iface-lo"]

    busy = host.isc("iface", "delete", "iface-lo")
    assert busy.returncode == 7 and "used by 1 node record(s)" in busy.stderr
    rebind = host.isc("iface", "add", "iface-lo", "--hwaddress", "52:54:00:12:34:56")
    assert rebind.returncode == 7 and "cannot change it to a hwaddress binding" in rebind.stderr
    assert ifaces(host)["iface-lo"]["netdev"] == "lo"

    assert host.isc("nodes", "delete", NOAUTH).returncode == 0
    gone = host.isc("iface", "delete", "iface-lo")
    assert gone.returncode == 0, gone.stderr
    assert "iface-lo" not in host.iscsiadm("-m", "iface").stdout
    assert host.isc("iface", "delete", "iface-lo").returncode == 3


def test_refusals_change_nothing(host):
    for args, code, needle in [
        (["add", "default", "--netdev", "lo"], 2, "built into iscsiadm"),
        (["add", "bad/name", "--netdev", "lo"], 2, "iface name"),
        (["add", "x1", "--netdev", "nope0"], 2, "no network interface 'nope0'"),
        (["add", "x1"], 2, "give --netdev DEV or --hwaddress MAC"),
        (["add", "x1", "--netdev", "lo", "--hwaddress", "52:54:00:12:34:56"], 2, "not both"),
        (["add", "x1", "--hwaddress", "52:54:00:zz:34:56"], 2, "not a MAC address"),
        (["delete", "iser"], 2, "cannot be deleted"),
    ]:
        r = host.isc("iface", *args)
        assert r.returncode == code, (args, r.stderr)
        assert needle in r.stderr and "Traceback" not in r.stderr
    dry = host.isc("--dry-run", "iface", "add", "x1", "--netdev", "lo")
    assert dry.returncode == 0 and "would run: iscsiadm -m iface -I x1 -o new" in dry.stderr
    assert not (host.etc / "ifaces" / "x1").exists()
    assert set(ifaces(host)) == {"default", "iser", "lab"}


def test_an_update_iscsiadm_did_not_store_is_an_error(host, tmp_path):
    """iscsiadm can refuse an iface update and still exit 0 (a netdev binding turned into a MAC binding):
    isc reads the iface back. Here a wrapper around the real iscsiadm swallows the update the same way."""
    wrapper = tmp_path / "iscsiadm-dropping-updates"
    wrapper.write_text('#!/bin/sh\ncase "$*" in *"-m iface"*"-o update"*) echo "x1 updated."; exit 0;; esac\n'
                       'exec iscsiadm "$@"\n')
    wrapper.chmod(0o755)
    r = host.isc("iface", "add", "x1", "--netdev", "lo", env={"ISC_ISCSIADM": str(wrapper)})
    assert r.returncode == 1, r.stderr
    assert "iscsiadm did not store iface.net_ifacename for iface x1" in r.stderr
    assert ifaces(host)["x1"]["netdev"] is None  # what iscsiadm really holds, as isc reported


def test_default_beside_a_bound_iface_is_reported_and_only_default_deleted(host, tmp_path):
    """A portal with records through default and through a bound iface: doctor warns (a login would also go
    out through default), and `nodes delete -I default` removes just that record."""
    assert host.isc("iface", "add", "iface-lo", "--netdev", "lo").returncode == 0
    for extra in ([], ["-I", "iface-lo"]):
        r = host.isc("nodes", "add", NOAUTH, "127.0.0.1:3260,1", *extra)
        assert r.returncode == 0, r.stderr
    image = tmp_path / "image"
    (image / "etc").mkdir(parents=True)
    (image / "etc" / "iscsi").symlink_to(host.etc)

    def isc025() -> dict[str, str]:
        done = host.isc("--root", str(image), "--json", "doctor")
        (found,) = [f for f in json.loads(done.stdout)["findings"] if f["code"] == "ISC025"]
        return found

    warned = isc025()
    assert warned["level"] == "warning" and "through default beside iface-lo" in warned["summary"]
    assert f"isc nodes delete {NOAUTH} -p 127.0.0.1:3260 -I default" in warned["fix"]
    r = host.isc("nodes", "delete", NOAUTH, "-p", "127.0.0.1", "-I", "default")
    assert r.returncode == 0, r.stderr
    # what the real iscsiadm has left: the iface-lo record only
    assert [line.split()[-1] for line in host.iscsiadm("-m", "node", "-P", "1").stdout.splitlines()
            if line.strip().startswith("Iface Name:")] == ["iface-lo"]
    assert isc025()["level"] == "ok"
    again = host.isc("nodes", "delete", NOAUTH, "-I", "default")
    assert again.returncode == 3 and "no record of" in again.stderr
    assert host.isc("nodes", "delete", NOAUTH).returncode == 0
    assert host.isc("iface", "delete", "iface-lo").returncode == 0
