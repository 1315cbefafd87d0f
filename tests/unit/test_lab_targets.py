"""The JSON the lab guest restores at boot says what the readable targetcli batch says: every backstore
(file, size, WWN), target, LUN, portal, ACL, CHAP setting and authentication switch, and nothing more."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
import labtargets

UNITS = {"M": 1 << 20, "G": 1 << 30}


def _from_batch() -> dict[str, set]:
    want: dict[str, set] = {k: set() for k in ("backstores", "targets", "luns", "portals", "acls", "auth",
                                               "attributes")}
    for line in labtargets.batch_lines():
        path, _, rest = line.partition(" ")
        words = rest.split()
        if path == "/backstores/fileio" and words[0] == "create":
            name, dev, size = words[1:4]
            wwn = dict(w.split("=", 1) for w in words[4:] if "=" in w)["wwn"]
            want["backstores"].add((name, dev, int(size[:-1]) * UNITS[size[-1]], wwn))
        elif path == "/iscsi" and words[0] == "create":
            want["targets"].add(words[1])
        elif m := re.fullmatch(r"/iscsi/([^/]+)/tpg1/(luns|portals|acls)", path):
            target, kind = m.groups()
            if kind == "luns":
                want["luns"].add((target, words[1]))
            elif kind == "portals":
                want["portals"].add((target, words[1], int(words[2])))
            else:
                want["acls"].add((target, words[1]))
        elif m := re.fullmatch(r"/iscsi/([^/]+)/tpg1/acls/([^/]+)", path):
            for key, value in (w.split("=", 1) for w in words[2:]):
                want["auth"].add((m[1], m[2], key, value))
        elif m := re.fullmatch(r"/iscsi/([^/]+)/tpg1", path):
            key, value = words[2].split("=", 1)
            want["attributes"].add((m[1], key, int(value)))
        else:
            assert path == "set" and words[0] == "global", f"the test does not know this batch line: {line}"
    return want


def _from_json() -> dict[str, set]:
    saved = json.loads(labtargets.SAVED.read_text().replace(labtargets.PLACEHOLDER, labtargets.INITIATOR))
    chap_keys = {"chap_userid": "userid", "chap_password": "password", "chap_mutual_userid": "mutual_userid",
                 "chap_mutual_password": "mutual_password"}
    have: dict[str, set] = {k: set() for k in ("backstores", "targets", "luns", "portals", "acls", "auth",
                                               "attributes")}
    for so in saved["storage_objects"]:
        assert so["plugin"] == "fileio"
        have["backstores"].add((so["name"], so["dev"], so["size"], so["wwn"]))
    for t in saved["targets"]:
        (tpg,) = t["tpgs"]
        have["targets"].add(t["wwn"])
        have["luns"].update((t["wwn"], lun["storage_object"]) for lun in tpg["luns"])
        have["portals"].update((t["wwn"], p["ip_address"], p["port"]) for p in tpg["portals"])
        for acl in tpg["node_acls"]:
            have["acls"].add((t["wwn"], acl["node_wwn"]))
            have["auth"].update((t["wwn"], acl["node_wwn"], chap_keys[k], v) for k, v in acl.items()
                                if k in chap_keys)
            assert [m["tpg_lun"] for m in acl["mapped_luns"]] == [lun["index"] for lun in tpg["luns"]]
        if tpg["attributes"]["authentication"]:
            have["attributes"].add((t["wwn"], "authentication", 1))
    return have


def test_restored_json_matches_the_batch():
    assert _from_json() == _from_batch()


def test_the_json_names_no_real_initiator_and_the_tests_names_exist():
    text = labtargets.SAVED.read_text()
    assert labtargets.INITIATOR not in text and labtargets.PLACEHOLDER in text
    targets = _from_batch()["targets"]
    assert {labtargets.MULTI, labtargets.CHAP, labtargets.MUTUAL, labtargets.NOLUN, labtargets.NOACL} == targets


def test_the_boot_script_creates_every_backing_file_at_its_size():
    script = (labtargets.GUEST / "lab-target.sh").read_text()
    (luns,) = re.findall(r"for lun in ([^;]+);", script)
    files = {(f"/var/lib/isc-lab/{name}.img", int(size[:-1]) * UNITS[size[-1]])
             for name, size in (w.split(":") for w in luns.split())}
    assert files == {(dev, size) for _, dev, size, _ in _from_batch()["backstores"]}
