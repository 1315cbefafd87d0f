"""Capture, in a lab guest, the outputs where tgt and LIO differ, as test fixtures (tests/fixtures/lab/tgt:
NAME.cmd, .stdout, .stderr, .rc, verbatim). tests/unit/test_tgt_outputs.py reads them; tests/lab/NOTES.md
says what each shows.

    python3 tests/lab/capture_tgt.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "fixtures" / "lab" / "tgt"
P = "iqn.2003-01.org.isc.lab"

SETUP = [
    "timeout 60 sh -c 'until systemctl is-active -q tgt; do sleep 0.5; done'",
    f"iscsiadm -m node -o new -T {P}:tgt-acl -p 127.0.0.3",
    f"iscsiadm -m node -o new -T {P}:noacl -p 127.0.0.1",
    f"iscsiadm -m node -o new -T {P}:tgt-stores -p 127.0.0.3",
    f"for t in {P}:mutual {P}:tgt-mutual; do for p in 127.0.0.1 127.0.0.3; do iscsiadm -m node -o new -T $t -p $p; "
    "iscsiadm -m node -T $t -p $p -o update -n node.session.auth.authmethod -v CHAP "
    "-n node.session.auth.username -v labuser -n node.session.auth.password -v labsecret1234 "
    "-n node.session.auth.username_in -v labtarget -n node.session.auth.password_in -v notthetarget1; done; done",
]

CAPTURES = {
    # SendTargets: tgt lists the portal that was asked only, LIO every portal of the target's TPG
    "sendtargets_tgt": "iscsiadm -m discovery -t st -p 127.0.0.3 -o nonpersistent",
    "sendtargets_lio": "iscsiadm -m discovery -t st -p 127.0.0.1 -o nonpersistent",
    # an initiator the target's ACL does not admit: LIO says authorization failure (24), tgt "target not
    # found" (login status 02/03, iscsiadm 19); tgt also leaves the target out of discovery
    "login_acl_tgt": f"iscsiadm -m node -T {P}:tgt-acl -p 127.0.0.3 --login",
    "login_acl_lio": f"iscsiadm -m node -T {P}:noacl -p 127.0.0.1 --login",
    # mutual CHAP with a wrong target secret: the initiator refuses the target, 19 from both
    "login_mutual_wrong_tgt": f"iscsiadm -m node -T {P}:tgt-mutual -p 127.0.0.3 --login",
    "login_mutual_wrong_lio": f"iscsiadm -m node -T {P}:mutual -p 127.0.0.1 --login",
    # what iscsid logged for the refusals above: the login status each target sent
    "iscsid_refusals": "journalctl -u iscsid -o cat | grep -E 'login rejected|incorrect CHAP response'",
    # what the kernel reports for tgt's LUNs: LUN 0 is a controller (type 12), the disks are IET VIRTUAL-DISK
    "lsscsi_tgt": f"iscsiadm -m node -T {P}:tgt-stores -p 127.0.0.3 --login >/dev/null && udevadm settle && "
                  "lsscsi && for d in /sys/class/scsi_device/*/device; do printf '%s type %s %s %s\\n' "
                  "\"${d%/device}\" \"$(cat $d/type)\" \"$(cat $d/vendor)\" \"$(cat $d/model)\"; done | "
                  "sed 's|/sys/class/scsi_device/||'",
    # multipath-tools 0.9.4 has no built-in entry for tgt's vendor string (it has LIO-ORG)
    "multipath_t_vendors": "multipath -t | sed -n 's/^[[:space:]]*vendor \"\\(.*\\)\"$/\\1/p' | sort -u",
}


def main() -> None:
    sys.path.insert(0, str(HERE))
    import vm

    OUT.mkdir(parents=True, exist_ok=True)
    with vm.site() as share, vm.Guest(vm.build_image(), share=share) as g:
        for step in SETUP:
            g.run(step).check()
        for name, command in CAPTURES.items():
            r = g.run(command)
            (OUT / f"{name}.cmd").write_text(command + "\n")
            (OUT / f"{name}.stdout").write_text(r.stdout)
            (OUT / f"{name}.stderr").write_text(r.stderr)
            (OUT / f"{name}.rc").write_text(f"{r.rc}\n")
            print(f"{name}: rc {r.rc}")


if __name__ == "__main__":
    main()
