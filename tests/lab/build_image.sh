#!/usr/bin/env bash
# Builds (or reuses) the lab guest image: Debian 12 with a real kernel, LIO (targetcli-fb), open-iscsi,
# udev, multipath-tools, XFS, LVM, fdisk, python3, qemu-guest-agent, ansible-core, prometheus-node-exporter, auditd,
# tgt (a second target, tests/lab/guest/tgt-*.conf) and fio (isc bench).
# Prints the image directory on stdout.
#
# The image is cached under $ISC_LAB_CACHE (default /var/cache/isc-lab), keyed by a hash of this script
# and of tests/lab/guest/, so it is rebuilt only when its inputs change.
#
# ISC_LAB_EXTRA_PACKAGES (comma-separated Debian packages) builds a variant with more software, cached
# under its own key: bench/bench_lab_login.py uses one with python3-os-brick and ansible.
#
# Every build first removes cached images nobody used for 14 days (a cache hit touches "ready");
# `build_image.sh --prune` does only that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${ISC_LAB_CACHE:-/var/cache/isc-lab}
extra=${ISC_LAB_EXTRA_PACKAGES:-}
key=$( { cat "$here/build_image.sh" "$here"/guest/*; [ -z "$extra" ] || echo "extra=$extra"; } | sha256sum | cut -c1-16)
out="$cache/image-$key"

prune() {  # images of older inputs pile up (1.5 to 3 GB each)
  [ -d "$cache" ] || return 0
  find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/image-*/ready" -mtime +14 -printf '%h\n' |
    while read -r old; do printf 'lab image: removing %s, unused for 14 days\n' "$old" >&2; rm -rf "$old"; done
  # half-built trees of builds that were killed (their EXIT trap never ran)
  find "$cache" -mindepth 1 -maxdepth 1 -name 'build.*' -mmin +180 -exec rm -rf {} +
}
if [ "${1:-}" = --prune ]; then prune; exit 0; fi
if [ -f "$out/ready" ]; then touch "$out/ready"; echo "$out"; exit 0; fi  # mtime of ready = last use

log() { printf 'lab image: %s\n' "$*" >&2; }
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$cache"
prune
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
pkgs=systemd,systemd-sysv,udev,dbus,kmod,iproute2,iputils-ping,procps,e2fsprogs,xfsprogs,python3
pkgs+=,open-iscsi,targetcli-fb,multipath-tools,lsscsi,sg3-utils,util-linux,linux-image-amd64
pkgs+=,initramfs-tools,qemu-guest-agent,lvm2,fdisk,open-isns-server,open-isns-utils
pkgs+=,ansible-core,prometheus-node-exporter,curl,auditd  # fleet and audit tests: the real engines
pkgs+=,tgt  # the second target (issue 18)
pkgs+=,fio  # isc bench (issue 15)
size=3G
if [ -n "$extra" ]; then pkgs+=",$extra"; size=6G; fi
log "mmdebstrap bookworm from $mirror (about 90 s)"
t0=$(date +%s)
# targetcli's preferences in the guest, as targetcli itself saves them after `set global
# auto_add_default_portal=false auto_save_on_exit=false` (no 0.0.0.0 portal for a new target, no
# saveconfig.json written on exit). All keys: configshell's own default for a missing one is broken.
python3 - "$work/targetcli-prefs.bin" <<'PREFS'
import pickle, sys
prefs = {
    "loglevel_console": "info", "loglevel_file": "debug", "logfile": "/root/.targetcli/log.txt",
    "color_path": "magenta", "color_command": "cyan", "color_parameter": "magenta", "color_keyword": "cyan",
    "completions_in_columns": True, "color_mode": True, "prompt_length": 30, "tree_max_depth": 0,
    "tree_status_mode": True, "tree_round_nodes": True, "tree_show_root": True,
    "export_backstore_name_as_model": True, "auto_enable_tpgt": True, "auto_add_mapped_luns": True,
    "auto_cd_after_create": False, "auto_save_on_exit": False, "max_backup_files": "10",
    "auto_add_default_portal": False, "auto_use_daemon": False, "daemon_use_batch_mode": False,
}
with open(sys.argv[1], "wb") as f:
    pickle.dump(prefs, f, protocol=4)
PREFS
mmdebstrap --variant=apt --include="$pkgs" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='echo isc-lab > "$1/etc/hostname"' \
  --customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
  --customize-hook='echo "InitiatorName=iqn.2005-03.org.isc.lab:guest" > "$1/etc/iscsi/initiatorname.iscsi"' \
  --customize-hook="install -m 0755 '$here/guest/lab-target.sh' \"\$1/usr/local/sbin/isc-lab-target\"" \
  --customize-hook="install -m 0644 '$here/guest/isc-lab-target.service' \"\$1/etc/systemd/system/\"" \
  --customize-hook="install -D -m 0644 '$here/guest/lab-targets.json' \"\$1/usr/local/share/isc-lab/lab-targets.json\"" \
  --customize-hook="install -D -m 0600 '$work/targetcli-prefs.bin' \"\$1/root/.targetcli/prefs.bin\"" \
  --customize-hook="install -D -m 0644 '$here/guest/tgt-targets.conf' \"\$1/etc/tgt/conf.d/isc-lab.conf\"" \
  --customize-hook="install -D -m 0644 '$here/guest/tgt-unit.conf' \"\$1/etc/systemd/system/tgt.service.d/isc-lab.conf\"" \
  --customize-hook='chroot "$1" systemctl enable isc-lab-target.service' \
  --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer serial-getty@ttyS0.service getty@tty1.service e2scrub_reap.service rtslib-fb-targetctl.service isnsd.service' \
  --customize-hook='mkdir -p "$1/mnt/host"; passwd -R "$1" -d root' \
  --customize-hook='cp "$1"/boot/vmlinuz-* "$1/../vmlinuz"; cp "$1"/boot/initrd.img-* "$1/../initrd.img"' \
  bookworm "$work/rootfs" "$mirror" >&2
log "rootfs in $(( $(date +%s) - t0 )) s; making the ext4 image"
truncate -s "$size" "$work/root.img"
mkfs.ext4 -q -F -L isc-lab -d "$work/rootfs" "$work/root.img"
rm -rf "$work/rootfs"
mkdir -p "$out"
mv "$work/root.img" "$work/vmlinuz" "$work/initrd.img" "$out/"
date -u +%FT%TZ > "$out/ready"
log "image ready in $(( $(date +%s) - t0 )) s: $out"
echo "$out"
