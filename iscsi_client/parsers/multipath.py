"""multipath-tools outputs: ``multipathd show maps json`` and the device table of ``multipath -t``."""

from __future__ import annotations

import re

from iscsi_client.kernel_model import MpPath, MultipathMap, PathGroup


def _int(v: object) -> int:
    if isinstance(v, int):
        return v
    try:
        return int(str(v))
    except ValueError:
        return 0


def parse_maps_json(text: str) -> list[MultipathMap]:
    """Maps with their path groups and paths; [] for anything that is not multipathd's JSON."""
    import json  # here: only a live multipathd's answer needs it (about 20 ms of a start in the TCG lab)

    try:
        doc = json.loads(text)
    except ValueError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("maps"), list):
        return []
    maps: list[MultipathMap] = []
    for m in doc["maps"]:
        if not isinstance(m, dict):
            continue
        groups = []
        for g in m.get("path_groups") or []:
            if not isinstance(g, dict):
                continue
            paths = tuple(
                MpPath(dev=str(p.get("dev", "")), dev_t=str(p.get("dev_t", "")), dm_state=str(p.get("dm_st", "")),
                       checker_state=str(p.get("chk_st", "")), dev_state=str(p.get("dev_st", "")),
                       target=p.get("target_wwnn") if p.get("target_wwnn") not in (None, "[undef]") else None,
                       portal_host=p.get("host_adapter") if p.get("host_adapter") not in (None, "[undef]") else None)
                for p in g.get("paths") or [] if isinstance(p, dict)
            )
            groups.append(PathGroup(_int(g.get("group")), str(g.get("selector", "")), _int(g.get("pri")),
                                    str(g.get("dm_st", "")), paths))
        maps.append(MultipathMap(
            name=str(m.get("name", "")), wwid=str(m.get("uuid", "")), dm=str(m.get("sysfs", "")),
            vendor=str(m.get("vend", "")).strip(), product=str(m.get("prod", "")).strip(),
            features=str(m.get("features", "")), hwhandler=str(m.get("hwhandler", "")),
            queueing=str(m.get("queueing", "")), path_groups=tuple(groups)))
    return maps


_ATTR = r'^\s*(vendor|product)\s+"?([^"\n]*)"?\s*$'


def builtin_devices(table: str) -> list[tuple[str, str]]:
    """(vendor, product) patterns of the ``devices`` section printed by ``multipath -t``."""
    out: list[tuple[str, str]] = []
    in_devices = False
    current: dict[str, str] = {}
    for line in table.splitlines():
        s = line.strip()
        if s.startswith("devices {"):
            in_devices = True
        elif in_devices and line.startswith("}"):
            in_devices = False
        elif in_devices and s.startswith("device {"):
            current = {}
        elif in_devices and s == "}" and current:
            out.append((current.get("vendor", ""), current.get("product", ".*")))
            current = {}
        elif in_devices:
            m = re.match(_ATTR, line)
            if m:
                current[m.group(1)] = m.group(2)
    return out


def has_device_entry(table: str, vendor: str, product: str) -> bool:
    """True when the built-in table has an entry for this vendor/product (matched the way multipath does:
    regular expressions against the SCSI inquiry strings)."""
    for v, p in builtin_devices(table):
        try:
            if re.match(v, vendor) and v != ".*" and re.match(p, product):
                return True
        except re.error:
            continue
    return False


def parse_wwids(text: str) -> set[str]:
    """/etc/multipath/wwids: lines like /3600140.../"""
    return {ln.strip().strip("/") for ln in text.splitlines() if ln.strip().startswith("/")}


_ERE_SPECIAL = frozenset(".[()*+?{|^$\\")  # "]" and "}" are literal on their own in ERE


def ere_literal(text: str) -> str:
    """``text`` as a POSIX extended regular expression that matches it exactly (multipath.conf's blacklist
    ``wwid`` is a regular expression: a WWID with '.' or '+' in it would otherwise match other disks)."""
    return "^" + "".join("\\" + c if c in _ERE_SPECIAL else c for c in text) + "$"


def conf_problems(text: str) -> list[str]:
    """What multipath's configuration parser would trip on: unbalanced braces, an unterminated quoted
    value, a section opened without a name. [] for text it reads. Quoted values are taken verbatim up to
    the next '"' (multipath has no escapes inside quotes); '#' and '!' start comments outside quotes."""
    problems: list[str] = []
    depth = 0
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): multipath splits on \n only
        words: list[str] = []
        rest = line
        while rest:
            rest = rest.lstrip()
            if not rest or rest[0] in "#!":
                break
            if rest[0] == '"':
                end = rest.find('"', 1)
                if end < 0:
                    problems.append(f"line {number}: unterminated quoted value")
                    break
                words.append(rest[1:end])
                rest = rest[end + 1:]
            else:
                word = re.match(r'[^\s"]+', rest)
                assert word is not None
                words.append(word.group())
                rest = rest[word.end():]
        for i, w in enumerate(words):
            if w == "{":
                if i == 0:
                    problems.append(f"line {number}: '{{' without a section name")
                depth += 1
            elif w == "}":
                depth -= 1
                if depth < 0:
                    problems.append(f"line {number}: '}}' closes nothing")
                    depth = 0
    if depth:
        problems.append(f"{depth} section(s) not closed")
    return problems
