"""isc login of several records: the fewest iscsiadm execs (one for every record, one per target, else one
per record), run side by side (--parallel) under isc's one host lock, each record with its own outcome in
record order. Against the real iscsiadm, through a wrapper that stamps each login's start and end and
holds it for a moment. Logins cannot succeed on this host (no iscsid), which is what makes the per-record
outcomes visible: every one is iscsiadm's own rc 20."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hostenv import CHAP, NOAUTH

HOLD = 1.0  # seconds each login is held in the wrapper


def stamping_iscsiadm(tmp_path: Path) -> tuple[dict[str, str], Path]:
    log = tmp_path / "logins.log"
    wrapper = tmp_path / "iscsiadm-stamp"
    # For a login: note the start (and whether isc's host lock is held by someone: flock -n fails), hold
    # it, run the real iscsiadm, note the end. Anything else goes straight to iscsiadm.
    wrapper.write_text(f"""#!/bin/sh
case " $* " in *" --login "*|*" --loginall="*) ;; *) exec /usr/sbin/iscsiadm "$@";; esac
if flock -n /run/lock/isc.lock true; then held=free; else held=held; fi
echo "start $(date +%s.%N) $held $*" >> {log}
sleep {HOLD}
/usr/sbin/iscsiadm "$@"; rc=$?
echo "end $(date +%s.%N) $*" >> {log}
exit $rc
""")
    wrapper.chmod(0o755)
    return {"ISC_ISCSIADM": str(wrapper)}, log


def spans(log: Path) -> list[tuple[float, float]]:
    starts, ends = [], []
    for line in log.read_text().splitlines():
        kind, when, *_ = line.split()
        (starts if kind == "start" else ends).append(float(when))
    return list(zip(sorted(starts), sorted(ends), strict=True))


def two_ifaces(host) -> None:
    """Both targets through iface lab and through iface lab2 (a copy): four records."""
    lab = (host.etc / "ifaces" / "lab").read_text()
    (host.etc / "ifaces" / "lab2").write_text(lab.replace("ifacename = lab", "ifacename = lab2"))
    for iface in ("lab", "lab2"):
        assert host.isc("discover", "127.0.0.1", "--iface", iface).returncode == 0


def logins(log: Path) -> list[str]:
    return [line.split(" ", 3)[3] for line in log.read_text().splitlines() if line.startswith("start")]


def test_logins_of_several_records_overlap_under_the_lock(tgtd, host, tmp_path):
    env, log = stamping_iscsiadm(tmp_path)
    two_ifaces(host)
    began = time.monotonic()
    # the lab iface's records: not every record, not every record of a target -> one exec per record
    r = host.isc("--json", "login", "--all", "--iface", "lab", "--parallel", "4", env=env)
    took = time.monotonic() - began
    assert r.returncode == 6, r.stderr
    doc = json.loads(r.stdout)
    # one outcome per record, in the order of the records, each with iscsiadm's own code
    assert [(x["target"], x["iface"], x["status"], x["error"]["iscsiadm_rc"]) for x in doc["logins"]] == \
        [(CHAP, "lab", "failed", 20), (NOAUTH, "lab", "failed", 20)]
    assert sorted(logins(log)) == sorted(f"-m node -T {t} -p 127.0.0.1:3260 -I lab --login" for t in (CHAP, NOAUTH))
    (a_start, a_end), (b_start, _) = spans(log)
    assert b_start < a_end, "the second login started only after the first ended"
    assert took < 2 * HOLD + 1.5
    # every login ran while isc held its host lock
    assert all(line.split()[2] == "held" for line in log.read_text().splitlines() if line.startswith("start"))


def test_parallel_one_logs_in_one_record_after_the_other(tgtd, host, tmp_path):
    env, log = stamping_iscsiadm(tmp_path)
    two_ifaces(host)
    r = host.isc("-v", "login", "--all", "--iface", "lab", "--parallel", "1", env=env)
    assert r.returncode == 6
    (_, a_end), (b_start, _) = spans(log)
    assert b_start >= a_end
    # -v shows each command once, in record order
    shown = [ln for ln in r.stderr.splitlines() if "--login" in ln]
    assert len(shown) == 2 and CHAP in shown[0] and NOAUTH in shown[1]


def test_every_record_is_one_loginall_exec(tgtd, host, tmp_path):
    env, log = stamping_iscsiadm(tmp_path)
    two_ifaces(host)
    r = host.isc("--json", "login", "--all", env=env)
    assert r.returncode == 6, r.stderr
    assert logins(log) == ["-m node --loginall=all"]
    doc = json.loads(r.stdout)
    assert sorted((x["target"], x["iface"], x["status"], x["error"]["iscsiadm_rc"]) for x in doc["logins"]) == \
        sorted((t, i, "failed", 20) for t in (CHAP, NOAUTH) for i in ("lab", "lab2"))
    log.unlink()
    r = host.isc("--json", "login", CHAP, "--iface", "lab", env=env)
    assert logins(log) == [f"-m node -T {CHAP} -p 127.0.0.1:3260 -I lab --login"]  # one record: itself
    log.unlink()
    r = host.isc("--json", "--dry-run", "login", CHAP, env=env)
    assert r.returncode == 0, r.stderr
    # a dry run runs nothing; the target's records are through two ifaces: one exec each
    assert not log.exists()
    assert [ln.split("iscsiadm-stamp ")[1] for ln in r.stderr.splitlines() if "--login" in ln] == \
        [f"-m node -T {CHAP} -p 127.0.0.1:3260 -I {i} --login" for i in ("lab", "lab2")]


def test_parallel_out_of_range_is_a_usage_error(host):
    r = host.isc("login", "--all", "--parallel", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--parallel" in r.stderr
