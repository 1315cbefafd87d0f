"""The isc demo: boots the lab guest (real kernel, LIO targets on 127.0.0.1 and 127.0.0.2) and runs the
sysadmin's flow with isc inside it, showing each command and its output.

Run it with:  bash tests/lab/demo.sh
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vm
from labtargets import CHAP, CHAP_SECRET, CHAP_USER, MULTI

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(guest: vm.Guest, title: str, command: str, *, env: dict[str, str] | None = None,
         shown: str | None = None) -> vm.Result:
    print(f"\n{BOLD}# {title}{RESET}")
    print(f"{BOLD}$ {shown or command}{RESET}")
    r = guest.run(command, env={"COLUMNS": "110", **(env or {})})
    sys.stdout.write(r.stdout)
    if r.stderr:
        sys.stdout.write(r.stderr)
    print(f"{DIM}(exit {r.rc}, {r.seconds:.2f} s){RESET}")
    return r


def main() -> int:
    t0 = time.monotonic()
    print("isc demo: building or reusing the lab image ...")
    image = vm.build_image()
    share = vm.site_dir()
    guest = vm.Guest(image, share=share)
    print("booting the lab guest (QEMU; under software emulation this takes about a minute) ...")
    failures = 0
    try:
        guest.start()
        print(f"guest ready in {guest.boot_seconds:.0f} s: LIO exports {MULTI} on two portals and {CHAP} with CHAP")
        steps: list[tuple[str, str, dict[str, str] | None, str | None]] = [
            ("Which initiator name does this host log in with?", "isc initiator", None, None),
            ("Ask the target portal what it exports (records are created, existing ones never reset)",
             "isc discover 127.0.0.1", None, None),
            ("The node database", "isc nodes", None, None),
            ("CHAP for the protected target: the secret comes from the environment, a file, stdin or a prompt,"
             " never from the command line", f"isc -v chap {CHAP} --user {CHAP_USER}",
             {"ISC_CHAP_PASSWORD": CHAP_SECRET}, f"ISC_CHAP_PASSWORD=******** isc -v chap {CHAP} --user {CHAP_USER}"),
            ("Log in to the CHAP target", f"isc login {CHAP}", None, None),
            ("Log in to the two-portal target", f"isc login {MULTI}", None, None),
            ("Running it again changes nothing", f"isc login {MULTI}", None, None),
            ("Log in automatically at boot", f"isc startup {MULTI} automatic", None, None),
            ("Sessions as the kernel shows them", "isc sessions", None, None),
            ("The same for scripts", "isc --json sessions", None, None),
            ("The kernel's block devices for those sessions", "lsblk -S -o NAME,HCTL,TRAN,VENDOR,MODEL,SIZE",
             None, None),
            ("Log out", "isc logout --all", None, None),
        ]
        for title, command, env, shown in steps:
            r = step(guest, title, command, env=env, shown=shown)
            failures += r.rc != 0
    finally:
        guest.cleanup()
        shutil.rmtree(share, ignore_errors=True)
    print(f"\ndemo finished in {time.monotonic() - t0:.0f} s, {failures} step(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
