"""In the lab guest: what `isc discover --login` pays for its imports, the working tree beside an earlier
commit, in units of the guest's `python3 -c pass`.

    python bench/bench_lab_imports.py [--against REF] [--rounds 21]

Each install first runs one real `isc discover 127.0.0.1 --login --target MULTI` and records the modules it
loaded, in order; then a fresh python3 imports exactly those, round after round beside `python3 -c pass`. The
flow's own work (iscsiadm, the device wait) is left out: in the whole flow TCG's noise is larger than a Python
start-up (bench_lab_login.py), here it is a few milliseconds. Also measured, for where the floor is: a package
of 40 empty modules (what a module costs before any code of its own) and `import re`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
import vm
from labtargets import MULTI

REPO = Path(__file__).resolve().parents[1]
RESET = ("iscsiadm -m node --logoutall=all >/dev/null 2>&1; iscsiadm -m node -o delete >/dev/null 2>&1; "
         "rm -rf /etc/iscsi/send_targets/*; udevadm settle")
# runs isc's entry point from SITE and writes the modules it loaded (beyond python3's own) to OUT
RECORD = """import atexit, sys
site, out = sys.argv.pop(1), sys.argv.pop(1)
sys.path.insert(0, site)
before = set(sys.modules)
atexit.register(lambda: open(out, "w").write("\\n".join(m for m in sys.modules if m not in before)))
sys.argv[0] = "isc"
from iscsi_client.cli.entry import main
main()
"""
TIMER = """import statistics, subprocess, sys, time
rounds = int(sys.argv[1])
codes = dict(arg.split("=", 1) for arg in sys.argv[2:])
times = {name: [] for name in codes}
for _ in range(rounds):
    for name, code in codes.items():
        start = time.perf_counter()
        subprocess.run(["python3", "-c", code], check=True)
        times[name].append(time.perf_counter() - start)
for name, values in times.items():
    print(name, statistics.median(values))
"""


def ref_tree(ref: str, into: Path) -> Path:
    """iscsi_client/ as committed at ``ref`` (git archive: no checkout of the working tree is touched)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "iscsi_client"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "iscsi_client"


def install_ref(g: vm.Guest, share: Path, ref: str) -> str:
    """isc as committed at ``ref`` beside the working tree's install in the guest: /opt/isc-ref/site (the same
    dependencies, one path entry) and /usr/local/bin/isc-ref. Returns ``ref``'s short name."""
    with tempfile.TemporaryDirectory() as tmp:
        ref_tree(ref, Path(tmp))
        subprocess.run(["tar", "-cf", str(share / "ref.tar"), "-C", tmp, "iscsi_client"], check=True)
    g.run("rm -rf /opt/isc-ref && cp -a /opt/isc /opt/isc-ref && rm -rf /opt/isc-ref/site/iscsi_client && "
          "tar -xf /mnt/host/ref.tar -C /opt/isc-ref/site && "
          "sed 's#/opt/isc/site#/opt/isc-ref/site#' /usr/local/bin/isc > /usr/local/bin/isc-ref && "
          "chmod +x /usr/local/bin/isc-ref").check()
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], capture_output=True, text=True,
                          check=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", default="HEAD~1", help="the commit to compare with (default HEAD~1)")
    ap.add_argument("--rounds", type=int, default=21)
    opts = ap.parse_args()
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        label = install_ref(g, share, opts.against)
        g.run("cat > /root/record.py", stdin=RECORD).check()
        g.run("cat > /root/timer.py", stdin=TIMER).check()
        g.run("mkdir -p /tmp/empty/pk && touch /tmp/empty/pk/__init__.py && "
              "for i in $(seq 40); do echo \"X = $i\" > /tmp/empty/pk/m$i.py; done").check()
        installs = {label: "/opt/isc-ref/site", "working tree": "/opt/isc/site"}
        counts = {}
        for name, site in installs.items():
            for _ in range(2):  # the first run writes the .pyc files the timed imports read
                g.run(RESET)
                g.run(f"python3 /root/record.py {site} /tmp/mods-{site.split('/')[2]} discover 127.0.0.1 --login "
                      f"--target {MULTI} >/dev/null").check()
            mods = g.run(f"cat /tmp/mods-{site.split('/')[2]}").check().stdout.split()
            counts[name] = (len(mods), sum(m.startswith("iscsi_client") for m in mods))
        g.run(RESET)
        codes = {"pass": "pass",
                 **{name: f"import sys; sys.path.insert(0, {site!r}); "
                          f"[__import__(m) for m in open('/tmp/mods-{site.split('/')[2]}').read().split()]"
                    for name, site in installs.items()},
                 "40 empty modules": "import sys; sys.path.insert(0, '/tmp/empty'); "
                                     "[__import__(f'pk.m{i}') for i in range(1, 41)]",
                 "import re": "import re"}
        g.run("python3 -c \"import sys; sys.path.insert(0, '/tmp/empty'); import pk.m1\"").check()  # .pyc
        out = g.run(["python3", "/root/timer.py", str(opts.rounds), *(f"{k}={v}" for k, v in codes.items())],
                    timeout=1800).check().stdout
        medians = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in out.splitlines()}
    py = medians.pop("pass")
    print(f"imports of `isc discover --login`, medians of {opts.rounds} (QEMU TCG guest; python3 -c pass "
          f"{py:.3f} s):")
    for name, median in medians.items():
        added = median - py
        modules = f"{counts[name][0]:3} modules, {counts[name][1]:2} of isc" if name in counts else ""
        print(f"  {name:18} {modules:26} +{added * 1000:6.1f} ms   {added / py:5.2f} x python3 -c pass")


if __name__ == "__main__":
    main()
