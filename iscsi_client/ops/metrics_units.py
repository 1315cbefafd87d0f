"""The systemd service and timer that refresh isc's textfile for node_exporter every minute, and their
install (``isc metrics install``). The same units are shipped in systemd/ for packagers."""

from __future__ import annotations

from iscsi_client.records import record
from iscsi_client.system import files, services, textfile
from iscsi_client.system.commands import Commands
from iscsi_client.system.root import Root

TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"  # Debian's prometheus-node-exporter default
UNIT_DIR = "/etc/systemd/system"
SERVICE = "isc-metrics.service"
TIMER = "isc-metrics.timer"

_SERVICE = """\
[Unit]
Description=isc: iSCSI initiator metrics for the node_exporter textfile collector
Documentation=man:isc(8)
After=iscsid.service multipathd.service
ConditionPathIsDirectory={textfile_dir}

[Service]
Type=oneshot
ExecStart={isc} metrics --textfile {textfile_dir}
Nice=10
IOSchedulingClass=idle
# isc metrics only reads: the textfile is the one thing it may write.
ProtectSystem=strict
ReadWritePaths={textfile_dir}
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
"""

_TIMER = """\
[Unit]
Description=Refresh isc's iSCSI metrics every minute
Documentation=man:isc(8)

[Timer]
OnBootSec=30s
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
"""


def unit_texts(isc: str, textfile_dir: str = TEXTFILE_DIR) -> dict[str, str]:
    """Unit name -> content, for the isc executable at ``isc``."""
    from iscsi_client.errors import UsageError

    if not textfile_dir.startswith("/") or not isc.startswith("/"):
        raise UsageError(f"{textfile_dir if not textfile_dir.startswith('/') else isc!r} is not an absolute path: "
                         "systemd needs absolute paths in a unit", hint="e.g. --textfile-dir "
                         "/var/lib/prometheus/node-exporter")
    if any(c.isspace() for c in isc + textfile_dir):
        raise UsageError("the isc path and the textfile directory must not contain white space (systemd "
                         "would split them)", hint="install isc under /usr/local/bin or /usr/bin")
    return {SERVICE: _SERVICE.format(isc=isc, textfile_dir=textfile_dir), TIMER: _TIMER}


@record
class UnitWrite:
    path: str  # as on the host (without --root)
    changed: bool


@record
class Installed:
    units: tuple[UnitWrite, ...]
    enabled: bool  # the timer was enabled by this run
    textfile_dir: str
    textfile_dir_exists: bool  # node_exporter's directory is there (its package is installed)

    @property
    def changed(self) -> bool:
        return self.enabled or any(u.changed for u in self.units)


def install(*, root: Root, cmd: Commands, isc: str, textfile_dir: str = TEXTFILE_DIR) -> Installed:
    """Write both units (unchanged files are left alone), reload systemd and enable the timer (started at
    once on a live host). Idempotent: a second run changes nothing."""
    writes = []
    for name, text in unit_texts(isc, textfile_dir).items():
        path = f"{UNIT_DIR}/{name}"
        changed = files.read_text(root(path)) != text
        if changed and not cmd.dry_run:
            files.write_atomic(root(path), text, mode=0o644)
        writes.append(UnitWrite(path, changed))
    if any(w.changed for w in writes) and root.is_live:
        cmd.run(["systemctl", "daemon-reload"], mutating=True, action="reloading systemd")
    enabled = not services.is_enabled(root, TIMER)
    if enabled:
        services.enable(cmd, root, [TIMER], now=True)
    return Installed(tuple(writes), enabled, textfile_dir, textfile.directory_exists(root, textfile_dir))
