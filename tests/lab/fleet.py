"""The Ansible collection in a lab guest: copied in, its example playbook with an inventory naming the
guest itself (connection local) and the CHAP secret in an encrypted vault; used by tests/lab/test_fleet.py
and bench/bench_lab_fleet.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VAULT_PW = "/root/vault.pw"
ANSIBLE_ENV = {"LC_ALL": "C.UTF-8", "ANSIBLE_COLLECTIONS_PATH": "/root/collections", "ANSIBLE_NOCOLOR": "1"}


def install(guest, share: Path, secret: str) -> None:
    dest = share / "ansible_collections/isc/iscsi"
    if not dest.exists():
        shutil.copytree(REPO / "ansible", dest, ignore=shutil.ignore_patterns("__pycache__", "output"))
    guest.run("rm -rf /root/collections /root/fleet && mkdir -p /root/collections && "
              "cp -r /mnt/host/ansible_collections /root/collections/ && "
              "cp -r /root/collections/ansible_collections/isc/iscsi/examples /root/fleet").check()
    guest.run("printf '[iscsi_hosts]\\nisc-lab ansible_connection=local ansible_python_interpreter=/usr/bin/python3\\n'"
              " > /root/fleet/inventory.ini").check()
    vault(guest, secret)


def vault(guest, secret: str) -> None:
    """The playbook's vault holding ``secret``, encrypted (the secret goes in on stdin)."""
    guest.run(f"umask 077 && echo lab-vault-password > {VAULT_PW}").check()
    guest.run("umask 077 && cat > /root/fleet/group_vars/iscsi_hosts/vault.yml && ansible-vault encrypt "
              f"--vault-password-file {VAULT_PW} /root/fleet/group_vars/iscsi_hosts/vault.yml",
              stdin=f"vault_iscsi_chap_secret: {secret}\n", env=ANSIBLE_ENV).check()
    assert secret not in guest.run("cat /root/fleet/group_vars/iscsi_hosts/vault.yml").stdout


def playbook(guest, *flags: str):
    """ansible-playbook of the example (no MTU probes), and its wall time."""
    t0 = time.monotonic()
    r = guest.run("cd /root/fleet && ansible-playbook -i inventory.ini playbook.yml -e iscsi_mtu_check=false "
                  f"--vault-password-file {VAULT_PW} " + " ".join(flags), timeout=900, env=ANSIBLE_ENV)
    return r, time.monotonic() - t0
