"""isc config dump / restore with the real iscsiadm: a host's setup dumped, its records wiped, restored
from the dump and a secrets file, and dumped again to the same text."""

from __future__ import annotations

import json
import os
import shutil
import tomllib

from hostenv import CHAP, NOAUTH

SECRET, MUTUAL = "s3cretS3cret99", "mutualSecret42"
DISC_SECRET, DISC_MUTUAL = "discS3cret9999", "discMutual4242"


def test_dump_wipe_restore_dump_again(host, tmp_path):
    assert host.isc("iface", "add", "iface-lo", "--netdev", "lo").returncode == 0
    assert host.isc("iface", "add", "a-lo", "--netdev", "lo").returncode == 0
    # with a portal group tag the records are laid out per iface, as discovery makes them: two on one portal
    for args in (["nodes", "add", NOAUTH, "127.0.0.1:3260,1"],
                 ["nodes", "add", NOAUTH, "127.0.0.1:3260,1", "-I", "a-lo"],
                 ["nodes", "add", NOAUTH, "127.0.0.2", "-I", "iface-lo"],
                 ["nodes", "add", CHAP, "127.0.0.1"], ["startup", NOAUTH, "automatic"],
                 ["nodes", "set", NOAUTH, "node.session.timeo.replacement_timeout=5"]):
        r = host.isc(*args)
        assert r.returncode == 0, (args, r.stderr)
    r = host.isc("chap", CHAP, "--user", "alice", "--mutual-user", "tgt", "--password-stdin",
                 input=f"{SECRET}\n{MUTUAL}\n")
    assert r.returncode == 0, r.stderr
    # discovery records as iscsiadm makes them: one with mutual discovery CHAP, one iSNS server
    host.iscsiadm("-m", "discoverydb", "-t", "st", "-p", "127.0.0.1:3261", "-o", "new")
    host.iscsiadm("-m", "discoverydb", "-t", "st", "-p", "127.0.0.1:3261", "-o", "update",
                  "-n", "discovery.sendtargets.auth.authmethod", "-v", "CHAP",
                  "-n", "discovery.sendtargets.auth.username", "-v", "disc",
                  "-n", "discovery.sendtargets.auth.password", "-v", DISC_SECRET,
                  "-n", "discovery.sendtargets.auth.username_in", "-v", "disctgt",
                  "-n", "discovery.sendtargets.auth.password_in", "-v", DISC_MUTUAL)
    host.iscsiadm("-m", "discoverydb", "-t", "isns", "-p", "127.0.0.1", "-o", "new")
    first = host.isc("config", "dump")
    assert first.returncode == 0, first.stderr
    assert SECRET not in first.stdout and MUTUAL not in first.stdout
    assert 'chap_user = "alice"' in first.stdout and 'netdev = "lo"' in first.stdout
    assert DISC_SECRET not in first.stdout and DISC_MUTUAL not in first.stdout
    assert tomllib.loads(first.stdout)["discovery"] == [
        {"portal": "127.0.0.1:3205", "type": "isns"},
        {"portal": "127.0.0.1:3261", "type": "sendtargets", "chap_user": "disc", "mutual_user": "disctgt"}]
    noauth = [n for n in tomllib.loads(first.stdout)["nodes"] if n["target"] == NOAUTH]
    assert sorted((n["portal"], n["iface"]) for n in noauth) == [
        ("127.0.0.1:3260,1", "a-lo"), ("127.0.0.1:3260,1", "default"), ("127.0.0.2:3260", "iface-lo")]

    dump = tmp_path / "isc.toml"
    dump.write_text(first.stdout)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'["{CHAP}"]\npassword = "{SECRET}"\nmutual_password = "{MUTUAL}"\n'
                       f'[discovery."127.0.0.1:3261"]\npassword = "{DISC_SECRET}"\n'
                       f'mutual_password = "{DISC_MUTUAL}"\n')
    os.chmod(secrets, 0o600)
    shutil.rmtree(host.etc / "nodes")
    shutil.rmtree(host.etc / "send_targets")
    shutil.rmtree(host.etc / "isns")
    os.unlink(host.etc / "ifaces" / "iface-lo")
    os.unlink(host.etc / "ifaces" / "a-lo")

    dry = host.isc("--dry-run", "config", "restore", str(dump), "--secrets", str(secrets))
    assert dry.returncode == 0, dry.stderr
    assert "would add record" in dry.stdout and not (host.etc / "nodes").exists()

    r = host.isc("-v", "config", "restore", str(dump), "--secrets", str(secrets))
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr and MUTUAL not in r.stdout + r.stderr
    assert host.isc("config", "dump").stdout == first.stdout  # the round trip is exact
    shown = host.iscsiadm("-m", "node", "-T", CHAP, "-o", "show", "-S").stdout
    assert f"node.session.auth.password = {SECRET}" in shown and f"node.session.auth.password_in = {MUTUAL}" in shown
    st = (host.etc / "send_targets" / "127.0.0.1,3261" / "st_config").read_text()
    assert f"discovery.sendtargets.auth.password = {DISC_SECRET}" in st
    assert f"discovery.sendtargets.auth.password_in = {DISC_MUTUAL}" in st
    assert DISC_SECRET not in r.stdout + r.stderr

    same = host.isc("-v", "config", "restore", str(dump), "--secrets", str(secrets))
    assert same.returncode == 0 and "+ iscsiadm" not in same.stderr  # CHAP already in place: nothing runs
    assert "nothing to change" in same.stdout

    again = host.isc("-v", "--json", "config", "restore", str(dump))
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)["restore"]
    assert doc["steps"] == [] and "+ iscsiadm" not in again.stderr  # converged: nothing ran
    assert any("CHAP for" in s for s in doc["skipped"])  # no secrets file this time: said, not guessed


def test_restore_refuses_a_bad_file_before_anything_runs(host, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f"schema_version = 1\n[[nodes]]\ntarget = '{NOAUTH}'\nportal = '127.0.0.1'\n"
                   "[nodes.settings]\n'node.conn[0].address' = '10.0.0.9'\n")
    r = host.isc("-v", "config", "restore", str(bad))
    assert r.returncode == 2 and "identity" in r.stderr and "+ iscsiadm" not in r.stderr
    assert not (host.etc / "nodes").exists()


def test_restore_takes_secrets_from_files_the_document_names(host, tmp_path):
    """password_file / mutual_password_file in the document: the real iscsiadm record gets the secrets, no
    output shows them, and a secret written inline is refused before anything runs."""
    secret, mutual = tmp_path / "alice.secret", tmp_path / "tgt.secret"
    secret.write_text(f"{SECRET}\n")
    mutual.write_text(f"{MUTUAL}\n")
    for f in (secret, mutual):
        os.chmod(f, 0o600)
    doc = tmp_path / "want.toml"
    doc.write_text(f'schema_version = 1\n[[nodes]]\ntarget = "{CHAP}"\nportal = "127.0.0.1:3260"\n'
                   f'chap_user = "alice"\nmutual_user = "tgt"\npassword_file = "{secret}"\n'
                   f'mutual_password_file = "{mutual}"\n')
    r = host.isc("-v", "config", "restore", str(doc))
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr and MUTUAL not in r.stdout + r.stderr
    shown = host.iscsiadm("-m", "node", "-T", CHAP, "-o", "show", "-S").stdout
    assert f"node.session.auth.password = {SECRET}" in shown and f"node.session.auth.password_in = {MUTUAL}" in shown
    assert "node.session.auth.username_in = tgt" in shown
    again = host.isc("-v", "config", "restore", str(doc))
    assert again.returncode == 0 and "+ iscsiadm" not in again.stderr  # converged

    inline = tmp_path / "inline.toml"
    inline.write_text(doc.read_text().replace(f'password_file = "{secret}"', f'password = "{SECRET}"'))
    shutil.rmtree(host.etc / "nodes")
    bad = host.isc("-v", "--json", "config", "restore", str(inline))
    assert bad.returncode == 2 and "+ iscsiadm" not in bad.stderr and not (host.etc / "nodes").exists()
    assert SECRET not in bad.stdout + bad.stderr
    assert "never holds a secret" in json.loads(bad.stdout)["error"]["hint"]
