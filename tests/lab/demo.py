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
    r = guest.run(command, env={"COLUMNS": "120", **(env or {})})
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
        print(f"guest ready in {guest.boot_seconds:.0f} s: LIO exports {MULTI} on two portals "
              f"(127.0.0.1, 127.0.0.2) and {CHAP} with CHAP")
        chap_env = {"ISC_CHAP_PASSWORD": CHAP_SECRET}
        steps: list[tuple[str, str, dict[str, str] | None, str | None, int]] = [
            ("Which initiator name does this host log in with?", "isc initiator", None, None, 0),
            ("One command from the portal to a mounted, multipathed filesystem: first the plan (--dry-run "
             "changes nothing)", f"isc connect 127.0.0.1 --target {MULTI} --mount /srv/data --mkfs --dry-run",
             None, None, 0),
            ("Do it: discovery, boot login, multipath timeouts, login on both portals, the map, mkfs through the "
             "map, fstab, mount, doctor", f"isc connect 127.0.0.1 --target {MULTI} --mount /srv/data --mkfs",
             None, None, 0),
            ("Running it again changes nothing (every step is checked first)",
             f"isc connect 127.0.0.1 --target {MULTI} --mount /srv/data --mkfs", None, None, 0),
            ("The same steps by hand, for the CHAP target: the node database after discovery", "isc nodes",
             None, None, 0),
            ("CHAP for the protected target: the secret comes from the environment, a file, stdin or a prompt,"
             " never from the command line", f"isc -v chap {CHAP} --user {CHAP_USER}", chap_env,
             f"ISC_CHAP_PASSWORD=******** isc -v chap {CHAP} --user {CHAP_USER}", 0),
            ("Log in; isc returns once the block device and its udev links exist", f"isc login {CHAP}", None, None,
             0),
            ("Paths of the map and their health", "isc multipath status", None, None, 0),
            ("What connect wrote and mounted", "tail -n 2 /etc/fstab; findmnt /srv/data", None, None, 0),
            ("The whole checklist", "isc doctor", None, None, 0),
            ("Logging out from under a mounted filesystem is refused", f"isc logout {MULTI}", None, None, 7),
            ("Sessions down to devices, maps and mounts", "isc status", None, None, 0),
            ("Keep the setup for a reinstall or the next host (TOML, never a secret; isc config restore)",
             "isc config dump", None, None, 0),
            ("Undo connect in the safe order (the data stays on the LUN)", f"isc disconnect {MULTI}", None, None, 0),
        ]
        for title, command, env, shown, expected in steps:
            r = step(guest, title, command, env=env, shown=shown)
            if r.rc != expected:
                failures += 1
                print(f"{BOLD}!! expected exit {expected}{RESET}")
    finally:
        guest.cleanup()
        shutil.rmtree(share, ignore_errors=True)
    print(f"\ndemo finished in {time.monotonic() - t0:.0f} s, {failures} step(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
