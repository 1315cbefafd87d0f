"""Host test environment: the real iscsiadm and a real tgtd on 127.0.0.1, in a throwaway environment.

Every isc run happens in its own mount namespace where /etc/iscsi is a per-test copy and /sys/class holds a
fake 'tcp' transport (so iscsiadm's SendTargets discovery works without a kernel initiator). The host's own
/etc/iscsi is never touched. Login cannot work here (no kernel initiator): the lab tests cover it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PORT = 3260
NOAUTH = "iqn.2003-01.org.isc.host:noauth"
CHAP = "iqn.2003-01.org.isc.host:chap"
CHAP_USER, CHAP_SECRET = "hostuser", "hostsecret1234"
INITIATOR = "iqn.2005-03.org.isc.host:initiator"
ISC = [sys.executable, "-m", "iscsi_client"]
NS_SCRIPT = (
    'mount --make-rprivate / && mount --bind "$ISC_T/etc-iscsi" /etc/iscsi && '
    'mount --bind "$ISC_T/sysclass" /sys/class && exec "$@"'
)


@dataclass
class HostEnv:
    """A throwaway /etc/iscsi (and fake transport) seen by every command run through it."""

    dir: Path

    @property
    def etc(self) -> Path:
        return self.dir / "etc-iscsi"

    def run(self, argv: list[str], *, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ, ISC_T=str(self.dir), COLUMNS="200")
        full_env.update(env or {})
        return subprocess.run(["unshare", "-m", "--", "sh", "-c", NS_SCRIPT, "sh", *argv], input=input,
                              capture_output=True, text=True, env=full_env, timeout=timeout,
                              cwd=Path(__file__).resolve().parents[2])

    def isc(self, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return self.run([*ISC, *args], **kw)  # type: ignore[arg-type]

    def iscsiadm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(["iscsiadm", *args])

    def record(self, target: str, portal: str = "127.0.0.1,3260,1", iface: str = "lab") -> str:
        """The raw node record file as iscsiadm wrote it."""
        return (self.etc / "nodes" / target / portal / iface).read_text()
