"""The lab's LIO targets: names the tests use, and the JSON the guest restores at every boot.

tests/lab/guest/lab-targets.targetcli is the readable definition (a targetcli batch); the guest restores
tests/lab/guest/lab-targets.json, which is that batch as `targetcli saveconfig` writes it, with the guest's
initiator name as @INITIATOR@. After changing the batch, regenerate the JSON in a lab guest with
`python3 tests/lab/labtargets.py` (tests/unit/test_lab_targets.py fails while the two disagree).
"""

from __future__ import annotations

import json
from pathlib import Path

MULTI = "iqn.2003-01.org.isc.lab:multi"  # 768 MiB LUN on 127.0.0.1 and 127.0.0.2
CHAP = "iqn.2003-01.org.isc.lab:chap"  # one-way CHAP
MUTUAL = "iqn.2003-01.org.isc.lab:mutual"  # mutual CHAP
NOLUN = "iqn.2003-01.org.isc.lab:nolun"  # an ACL for the guest, but no LUN
NOACL = "iqn.2003-01.org.isc.lab:noacl"  # no ACL for the guest's initiator
INITIATOR = "iqn.2005-03.org.isc.lab:guest"
CHAP_USER, CHAP_SECRET = "labuser", "labsecret1234"
MUTUAL_USER, MUTUAL_SECRET = "labtarget", "targetsecret99"
MULTI_SECRET_FILE = "/root/multi.secret"  # CHAP_SECRET, for the chap_on_multi fixture (tests/lab/conftest.py)

GUEST = Path(__file__).resolve().parent / "guest"
BATCH, SAVED = GUEST / "lab-targets.targetcli", GUEST / "lab-targets.json"
PLACEHOLDER = "@INITIATOR@"
BATCH_VARS = {"$P": "iqn.2003-01.org.isc.lab", "$D": "/var/lib/isc-lab", "$INITIATOR": INITIATOR,
              "$OTHER": "iqn.2005-03.org.isc.lab:someone-else"}


def batch_lines() -> list[str]:
    """The batch's commands with its variables filled in, comments and blank lines left out."""
    out = []
    for line in BATCH.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            for var in sorted(BATCH_VARS, key=len, reverse=True):
                line = line.replace(var, BATCH_VARS[var])
            out.append(line)
    return out


def normalized(saved: dict) -> dict:
    """saveconfig lists objects in configfs order, which changes from boot to boot: sort them."""
    saved["storage_objects"].sort(key=lambda s: s["name"])
    saved["targets"].sort(key=lambda t: t["wwn"])
    for t in saved["targets"]:
        for tpg in t["tpgs"]:
            tpg["portals"].sort(key=lambda p: (p["ip_address"], p["port"]))
    return saved


def regenerate() -> None:
    """Boot a lab guest, run the batch on an empty LIO, and write what saveconfig says as the JSON."""
    import vm

    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        g.run("targetcli clearconfig confirm=True").check()
        g.run("targetcli", stdin="\n".join(batch_lines()) + "\n").check()
        g.run("targetcli saveconfig /tmp/lab-targets.json").check()
        saved = normalized(json.loads(g.run("cat /tmp/lab-targets.json").check().stdout))
    SAVED.write_text(json.dumps(saved, indent=2, sort_keys=True).replace(INITIATOR, PLACEHOLDER) + "\n")
    print(f"wrote {SAVED}")


if __name__ == "__main__":
    regenerate()
