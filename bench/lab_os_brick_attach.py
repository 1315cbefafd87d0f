"""Runs INSIDE the benchmark guest (python3-os-brick from Debian): attach one LUN the way a Cinder/Nova host
does, then print what os-brick returns. os-brick creates the node record itself (no sendtargets), logs in,
and waits for the block device, so this is its 'discover + login until the device exists'.

    python3 lab_os_brick_attach.py TARGET_IQN PORTAL
"""

import json
import sys

import os_brick  # type: ignore[import-not-found]  # the guest's python3-os-brick: not in isc's venv
from oslo_concurrency import lockutils  # type: ignore[import-not-found]
from oslo_config import cfg  # type: ignore[import-not-found]

lockutils.set_defaults("/run/os-brick-locks")
os_brick.setup(cfg.CONF)
from os_brick import privileged  # noqa: E402

privileged.default.set_client_mode(False)  # we are root: privileged calls run here, without a privsep daemon
from os_brick.initiator import connector  # type: ignore[import-not-found]  # noqa: E402

iqn, portal = sys.argv[1], sys.argv[2]
brick = connector.InitiatorConnector.factory("ISCSI", root_helper=None, use_multipath=False)
info = brick.connect_volume({"target_portal": portal, "target_iqn": iqn, "target_lun": 0,
                             "target_discovered": False})
print(json.dumps(info))
