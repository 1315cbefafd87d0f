#!/bin/sh
# Runs inside the lab guest at every boot (isc-lab-target.service), before open-iscsi logs in.
# Builds the LIO targets the tests and the demo use by restoring lab-targets.json with rtslib's targetctl
# (about 1.3 s under TCG; the targetcli batch it was generated from, lab-targets.targetcli, takes 9-16 s).
# Backing files are sparse and kept across reboots, and unit serials (WWIDs) are fixed, so a LUN keeps
# its data and its identity across a reboot, as on a real array.
set -eu
INITIATOR=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
D=/var/lib/isc-lab
mkdir -p "$D"
for lun in multi:768M chap:512M mutual:512M noacl:64M; do
  [ -e "$D/${lun%%:*}.img" ] || truncate -s "${lun#*:}" "$D/${lun%%:*}.img"
done
# configfs is empty at boot; a restart of the unit starts over
[ -z "$(ls /sys/kernel/config/target/iscsi 2>/dev/null | grep iqn)" ] || targetctl clear
sed "s/@INITIATOR@/$INITIATOR/g" /usr/local/share/isc-lab/lab-targets.json > /run/isc-lab-targets.json
targetctl restore /run/isc-lab-targets.json
touch /run/isc-lab-target.ready
