# Reads a multipath map in 1 MiB direct reads at spread offsets until /run/isc-reader.stop exists, one line
# per read in /run/isc-reader.log: "ok|fail EPOCH" (tests/lab/test_faults.py). Usage: sh map-reader.sh MAP
log=/run/isc-reader.log
rm -f /run/isc-reader.stop "$log"
n=0
while [ ! -e /run/isc-reader.stop ]; do
  n=$(( (n + 37) % 700 ))
  if dd if="/dev/mapper/$1" of=/dev/null bs=1M count=1 skip=$n iflag=direct 2>/dev/null; then
    echo "ok $(date +%s)"
  else
    echo "fail $(date +%s)"
  fi >> "$log"
  sleep 0.2
done
echo done >> "$log"
