"""What tests/lab/guest/lab-target.sh builds inside the guest (keep the two in step)."""

MULTI = "iqn.2003-01.org.isc.lab:multi"  # 768 MiB LUN on 127.0.0.1 and 127.0.0.2
CHAP = "iqn.2003-01.org.isc.lab:chap"  # one-way CHAP
MUTUAL = "iqn.2003-01.org.isc.lab:mutual"  # mutual CHAP
NOLUN = "iqn.2003-01.org.isc.lab:nolun"  # an ACL for the guest, but no LUN
NOACL = "iqn.2003-01.org.isc.lab:noacl"  # no ACL for the guest's initiator
INITIATOR = "iqn.2005-03.org.isc.lab:guest"
CHAP_USER, CHAP_SECRET = "labuser", "labsecret1234"
MUTUAL_USER, MUTUAL_SECRET = "labtarget", "targetsecret99"
