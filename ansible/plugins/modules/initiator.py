#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: isc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: initiator
short_description: The iSCSI initiator name of the managed host
description:
  - Sets C(InitiatorName) in C(/etc/iscsi/initiatorname.iscsi) through C(isc initiator set), which checks
    the IQN, writes the file atomically and keeps a backup; every other line of the file is kept.
  - iscsid reads the name when it starts; notify a handler that restarts it (sessions already logged in
    keep the name they logged in with until their next login).
version_added: "0.1.0"
author:
  - isc contributors (@isc-project)
requirements:
  - isc on the managed host
extends_documentation_fragment:
  - isc.iscsi.isc
options:
  name:
    description:
      - The initiator's IQN (C(iqn.YYYY-MM.reversed.domain:unique)) or EUI name; targets' ACLs name it.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The name the storage team put in the target's ACL
  isc.iscsi.initiator:
    name: "iqn.2005-03.org.example:{{ inventory_hostname_short }}"
  notify: Restart iscsid

# handlers:
# - name: Restart iscsid
#   ansible.builtin.systemd:
#     name: iscsid
#     state: restarted
"""

RETURN = r"""
name:
  description: The initiator name now in the file.
  returned: always
  type: str
  sample: iqn.2005-03.org.example:db1
previous:
  description: The name before this run (null when the file had none).
  returned: always
  type: str
backup:
  description: The copy of the old file isc kept, when it changed it.
  returned: when changed and not in check mode
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.isc.iscsi.plugins.module_utils.isc_cli import IscCli, error_message


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="str", required=True), isc_path=dict(type="path")),
        supports_check_mode=True,
    )
    cli = IscCli(module, module.params["isc_path"])
    rc, doc = cli.run(["initiator", "set", module.params["name"]], dry_run=module.check_mode)
    if rc != 0:
        module.fail_json(msg=error_message(doc), rc=rc)
    info = doc["initiator"]
    result = dict(changed=bool(info.get("changed")), name=info.get("new"), previous=info.get("old"))
    if info.get("backup"):
        result["backup"] = info["backup"]
    if module._diff and result["changed"]:
        result["diff"] = dict(before="InitiatorName=%s\n" % (info.get("old") or ""),
                              after="InitiatorName=%s\n" % info.get("new"),
                              before_header=info.get("path"), after_header=info.get("path"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
