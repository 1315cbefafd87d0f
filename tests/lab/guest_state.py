"""What a connect, an apply or a playbook may change in a lab guest, read in one place so that tests can
compare it before and after a dry run or check mode."""

from __future__ import annotations


def state(guest, mountpoints: tuple[str, ...] = ("/srv/db",)) -> dict[str, str]:
    """Records, sessions, fstab, multipath files, mounts, SCSI disks."""
    return {
        "records": guest.run("find /etc/iscsi/nodes /etc/iscsi/send_targets -type f -exec md5sum {} + "
                             "2>/dev/null | sort").stdout,
        "sessions": guest.run("iscsiadm -m session 2>/dev/null").stdout,
        "fstab": guest.run("cat /etc/fstab").stdout,
        "multipath": guest.run("cat /etc/multipath/wwids /etc/multipath/conf.d/* 2>/dev/null").stdout,
        "mounts": guest.run("findmnt -rn -o TARGET " + " ".join(mountpoints)).stdout,
        "disks": guest.run("ls /sys/class/scsi_disk/").stdout,
    }
