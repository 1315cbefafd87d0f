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


# Every process's command line, read from /proc without forking, until /root/stop exists.
SAMPLER = ("import glob, os\n"
           "while not os.path.exists('/root/stop'):\n"
           "    for p in glob.glob('/proc/[0-9]*/cmdline'):\n"
           "        try:\n"
           "            print(open(p, 'rb').read().replace(b'\\0', b' ').decode(errors='replace'))\n"
           "        except OSError:\n"
           "            pass\n")


def start_cmdlines(guest) -> None:
    """Start sampling every command line in the guest into /root/cmdlines (stop_cmdlines returns them)."""
    import shlex

    guest.run("rm -f /root/cmdlines /root/stop; setsid python3 -c " + shlex.quote(SAMPLER) +
              " > /root/cmdlines 2>/dev/null < /dev/null &").check()


def stop_cmdlines(guest) -> str:
    guest.run("touch /root/stop; sleep 1; rm -f /root/stop").check()
    return guest.run("cat /root/cmdlines").check().stdout
