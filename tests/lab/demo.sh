#!/usr/bin/env bash
# The isc demo against the built-in lab target. Installs what it needs on a Debian 12 host (root).
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
for p in qemu-system-x86 qemu-utils mmdebstrap python3-venv; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
exec python3 tests/lab/demo.py
