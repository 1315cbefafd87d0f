#!/bin/sh
# Runs inside the lab guest at every boot (isc-lab-target.service), before open-iscsi logs in.
# Builds the LIO targets the tests and the demo use, in ONE targetcli batch (about 6 s under TCG).
# Backing files are sparse and kept across reboots, and unit serials (WWIDs) are fixed, so a LUN keeps
# its data and its identity across a reboot, as on a real array.
set -eu
INITIATOR=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
OTHER=iqn.2005-03.org.isc.lab:someone-else
D=/var/lib/isc-lab
mkdir -p "$D"
P=iqn.2003-01.org.isc.lab
targetcli clearconfig confirm=True >/dev/null 2>&1 || true
targetcli <<BATCH
set global auto_add_default_portal=false
set global auto_save_on_exit=false
/backstores/fileio create multi $D/multi.img 768M sparse=true wwn=5a1f0c3e-0001-4c1a-9d00-15c000000001
/backstores/fileio create chap $D/chap.img 512M sparse=true wwn=5a1f0c3e-0002-4c1a-9d00-15c000000002
/backstores/fileio create mutual $D/mutual.img 512M sparse=true wwn=5a1f0c3e-0003-4c1a-9d00-15c000000003
/backstores/fileio create noacl $D/noacl.img 64M sparse=true wwn=5a1f0c3e-0004-4c1a-9d00-15c000000004
/iscsi create $P:multi
/iscsi/$P:multi/tpg1/luns create /backstores/fileio/multi
/iscsi/$P:multi/tpg1/portals create 127.0.0.1 3260
/iscsi/$P:multi/tpg1/portals create 127.0.0.2 3260
/iscsi/$P:multi/tpg1/acls create $INITIATOR
/iscsi create $P:chap
/iscsi/$P:chap/tpg1/luns create /backstores/fileio/chap
/iscsi/$P:chap/tpg1/portals create 127.0.0.1 3260
/iscsi/$P:chap/tpg1/acls create $INITIATOR
/iscsi/$P:chap/tpg1/acls/$INITIATOR set auth userid=labuser password=labsecret1234
/iscsi/$P:chap/tpg1 set attribute authentication=1
/iscsi create $P:mutual
/iscsi/$P:mutual/tpg1/luns create /backstores/fileio/mutual
/iscsi/$P:mutual/tpg1/portals create 127.0.0.1 3260
/iscsi/$P:mutual/tpg1/acls create $INITIATOR
/iscsi/$P:mutual/tpg1/acls/$INITIATOR set auth userid=labuser password=labsecret1234 mutual_userid=labtarget mutual_password=targetsecret99
/iscsi/$P:mutual/tpg1 set attribute authentication=1
/iscsi create $P:nolun
/iscsi/$P:nolun/tpg1/portals create 127.0.0.1 3260
/iscsi/$P:nolun/tpg1/acls create $INITIATOR
/iscsi create $P:noacl
/iscsi/$P:noacl/tpg1/luns create /backstores/fileio/noacl
/iscsi/$P:noacl/tpg1/portals create 127.0.0.1 3260
/iscsi/$P:noacl/tpg1/acls create $OTHER
BATCH
touch /run/isc-lab-target.ready
