#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: isc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: target
short_description: An iSCSI target on the initiator, from its portals to a verified multipath mount
description:
  - Manages one iSCSI target on the managed host through C(isc), the iSCSI initiator tool, which must be
    installed there (open-iscsi, and multipath-tools for targets with several portals).
  - C(state=present) makes the records (SendTargets discovery on every portal, CHAP, C(node.startup),
    multipath timeouts) without logging in; C(state=logged_in) also logs in on every portal the target
    offers, waits for the devices and builds the multipath map; C(state=mounted) also mounts a LUN's
    filesystem through the map with a C(_netdev,nofail) line in C(/etc/fstab) (the map by its WWID, a single
    path by filesystem UUID), optionally creating the filesystem; C(state=absent) unmounts, flushes the map, logs out and deletes the records.
  - Runs C(isc connect) or C(isc disconnect) with C(--json); C(changed) comes from the steps of isc's plan,
    so a second run reports no change. Check mode runs isc's C(--dry-run) and reports what would change;
    diff mode shows the file diffs of the plan.
  - CHAP secrets reach isc in files only root can read, in the module's private temporary directory,
    never on a command line; they are marked C(no_log).
version_added: "0.1.0"
author:
  - isc contributors (@isc-project)
requirements:
  - isc on the managed host (C(pipx install isc) or the distribution package)
  - open-iscsi; multipath-tools when the target has several portals
extends_documentation_fragment:
  - isc.iscsi.isc
options:
  target:
    description:
      - The target's IQN.
    type: str
    required: true
  portals:
    description:
      - Discovery portals, C(host) or C(host:port) (default port 3260), C([v6addr]:port) for IPv6.
      - Required unless C(state=absent).
    type: list
    elements: str
  state:
    description:
      - C(present) the records only; C(logged_in) sessions on every portal and the multipath map;
        C(mounted) also the filesystem on C(mountpoint); C(absent) nothing of the target left.
      - C(state=present) and C(state=logged_in) do not log out or unmount what a previous run set up; use
        C(state=absent) for that.
    type: str
    choices: [present, logged_in, mounted, absent]
    default: logged_in
  chap_user:
    description:
      - CHAP user name for the target's logins (one-way CHAP).
    type: str
  chap_secret:
    description:
      - The CHAP secret (12 to 16 characters, see C(allow_long_secret)). Given to isc in a root-only file.
    type: str
  mutual_user:
    description:
      - Mutual CHAP, the target's user name (needs C(chap_user)).
    type: str
  mutual_secret:
    description:
      - The target's mutual CHAP secret.
    type: str
  allow_long_secret:
    description:
      - Accept secrets of 17 to 255 characters (some targets refuse more than 16).
    type: bool
    default: false
  discovery_chap_user:
    description:
      - CHAP user name for SendTargets discovery.
    type: str
  discovery_chap_secret:
    description:
      - The discovery CHAP secret.
    type: str
  startup:
    description:
      - C(node.startup) of the target's records; C(automatic) logs in at boot.
    type: str
    choices: [automatic, manual]
    default: automatic
  multipath:
    description:
      - With several portals, assemble the LUNs into multipath maps (isc's drop-in, the WWIDs registered)
        and mount through the map. C(false) leaves multipath alone.
    type: bool
    default: true
  mountpoint:
    description:
      - Where to mount the LUN's filesystem (C(state=mounted)).
    type: path
  lun:
    description:
      - Which LUN to mount, when the target has several.
    type: int
  fstype:
    description:
      - The filesystem to create with C(mkfs) (and to expect).
    type: str
    choices: [xfs, ext4]
  mount_options:
    description:
      - Extra mount options (a comma list); C(_netdev,nofail) are always added.
    type: str
  mkfs:
    description:
      - Create the filesystem when the LUN has none. An existing filesystem is never erased.
    type: bool
    default: false
  forget:
    description:
      - With C(state=absent), also delete the node records (and a discovery record no other target came
        through). C(false) keeps them with C(node.startup manual).
    type: bool
    default: true
  mtu_check:
    description:
      - Let isc's final doctor step probe the path MTU to the portals (C(ping) with don't-fragment).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for block devices and the multipath map after login.
    type: float
    default: 30
notes:
  - The module runs on the managed host as root (C(become)).
seealso:
  - name: isc(8)
    description: The isc manual page (C(man isc)), the plan and the JSON it prints.
    link: https://github.com/isc-project/isc
"""

EXAMPLES = r"""
- name: Two portals, CHAP from Vault, XFS mounted through the multipath map
  isc.iscsi.target:
    target: iqn.2003-01.org.example:data
    portals: [192.0.2.10, 198.51.100.10]
    chap_user: "{{ iscsi_chap_user }}"
    chap_secret: "{{ vault_iscsi_chap_secret }}"
    state: mounted
    mountpoint: /srv/data
    fstype: xfs
    mkfs: true

- name: Records only (log in later, or at boot)
  isc.iscsi.target:
    target: iqn.2003-01.org.example:archive
    portals: [192.0.2.10]
    state: present

- name: Gone from this host (the data on the LUN stays)
  isc.iscsi.target:
    target: iqn.2003-01.org.example:data
    state: absent
"""

RETURN = r"""
target:
  description: The target's IQN.
  returned: always
  type: str
  sample: iqn.2003-01.org.example:data
portals:
  description: The portals of the target's records.
  returned: when C(state) is not C(absent)
  type: list
  elements: str
  sample: ["192.0.2.10:3260", "198.51.100.10:3260"]
sessions:
  description: Its sessions (id, portal, state).
  returned: when C(state) is not C(absent)
  type: list
  elements: dict
  sample: [{"sid": 1, "portal": "192.0.2.10:3260", "state": "LOGGED_IN"}]
devices:
  description: Its SCSI disks.
  returned: when C(state) is not C(absent)
  type: list
  elements: str
  sample: ["/dev/sda", "/dev/sdb"]
maps:
  description: The WWIDs of its multipath maps (C(/dev/mapper/WWID)).
  returned: when C(state) is not C(absent)
  type: list
  elements: str
  sample: ["360014055a1f0c3e00014c1a9d0015c00"]
mount:
  description: Where its filesystem is mounted, or null.
  returned: when C(state) is not C(absent)
  type: str
  sample: /srv/data
findings:
  description: isc doctor's findings about the target that are not ok (level, code, summary, fix).
  returned: when C(state) is not C(absent)
  type: list
  elements: dict
steps:
  description: isc's plan, each step with its status, whether it changed anything, the commands it ran
    (secrets masked) and its diff.
  returned: always
  type: list
  elements: dict
iscsiadm_runs:
  description: How many times isc ran iscsiadm.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.isc.iscsi.plugins.module_utils.isc_cli import (
    IscCli,
    error_message,
    plan_changed,
    plan_diff,
)


def argument_spec():
    return dict(
        target=dict(type="str", required=True),
        portals=dict(type="list", elements="str"),
        state=dict(type="str", default="logged_in", choices=["present", "logged_in", "mounted", "absent"]),
        chap_user=dict(type="str"),
        chap_secret=dict(type="str", no_log=True),
        mutual_user=dict(type="str"),
        mutual_secret=dict(type="str", no_log=True),
        allow_long_secret=dict(type="bool", default=False),
        discovery_chap_user=dict(type="str"),
        discovery_chap_secret=dict(type="str", no_log=True),
        startup=dict(type="str", default="automatic", choices=["automatic", "manual"]),
        multipath=dict(type="bool", default=True),
        mountpoint=dict(type="path"),
        lun=dict(type="int"),
        fstype=dict(type="str", choices=["xfs", "ext4"]),
        mount_options=dict(type="str"),
        mkfs=dict(type="bool", default=False),
        forget=dict(type="bool", default=True),
        mtu_check=dict(type="bool", default=True),
        wait_timeout=dict(type="float", default=30),
        isc_path=dict(type="path"),
    )


def connect_args(p, cli):
    """isc connect's argv for the parameters: names and file paths, never a secret."""
    args = ["connect"] + list(p["portals"])
    args += ["--target", p["target"], "--startup", p["startup"], "--wait-timeout", str(p["wait_timeout"])]
    if p["chap_user"]:
        args += ["--chap-user", p["chap_user"], "--password-file", cli.secret_file("chap", p["chap_secret"])]
        if p["mutual_user"]:
            args += ["--mutual-user", p["mutual_user"],
                     "--mutual-password-file", cli.secret_file("mutual", p["mutual_secret"])]
    if p["allow_long_secret"]:
        args.append("--allow-long-secret")
    if p["discovery_chap_user"]:
        args += ["--discovery-chap-user", p["discovery_chap_user"],
                 "--discovery-password-file", cli.secret_file("discovery", p["discovery_chap_secret"])]
    if not p["multipath"]:
        args.append("--no-multipath")
    if not p["mtu_check"]:
        args.append("--no-mtu")
    if p["state"] == "present":
        args.append("--no-login")
    if p["state"] == "mounted":
        args += ["--mount", p["mountpoint"]]
        if p["lun"] is not None:
            args += ["--lun", str(p["lun"])]
        if p["fstype"]:
            args += ["--fstype", p["fstype"]]
        if p["mount_options"]:
            args += ["--options", p["mount_options"]]
        if p["mkfs"]:
            args.append("--mkfs")
    return args


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[
            ("state", "present", ("portals",)),
            ("state", "logged_in", ("portals",)),
            ("state", "mounted", ("portals", "mountpoint")),
        ],
        required_together=[("chap_user", "chap_secret"), ("mutual_user", "mutual_secret"),
                           ("discovery_chap_user", "discovery_chap_secret")],
        required_by={"mutual_user": "chap_user"},
    )
    p = module.params
    if p["state"] != "mounted":
        given = [k for k in ("mountpoint", "lun", "fstype", "mount_options") if p[k] is not None]
        if given or p["mkfs"]:
            module.fail_json(msg="%s go with state=mounted" % ", ".join(given + (["mkfs"] if p["mkfs"] else [])))
    cli = IscCli(module, p["isc_path"])
    if p["state"] == "absent":
        args = ["disconnect", p["target"]] + (["--forget"] if p["forget"] else [])
    else:
        args = connect_args(p, cli)
    rc, doc = cli.run(args, dry_run=module.check_mode)
    result = dict(changed=plan_changed(doc, module.check_mode), target=p["target"], steps=doc.get("steps") or [],
                  iscsiadm_runs=doc.get("iscsiadm_runs", 0))
    summary = doc.get("summary")
    if summary:
        for key in ("portals", "sessions", "devices", "maps", "mount", "findings"):
            result[key] = summary.get(key)
    if module._diff:
        result["diff"] = plan_diff(doc)
    if rc != 0:
        err = doc.get("error") or {}
        result.update(rc=rc, failed_step=err.get("step"), hint=err.get("hint"))
        module.fail_json(msg=error_message(doc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
