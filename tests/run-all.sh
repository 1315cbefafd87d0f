#!/usr/bin/env bash
# Runs every test isc has, on a fresh Debian 12 machine, as root:
#   ruff, mypy, unit tests, host tests (real iscsiadm + tgtd), lab tests (QEMU guest with a real kernel).
# Installs what it needs: apt packages, a venv (outside the checkout), the lab image (cached).
# Environment: ISC_SKIP_LAB=1 skips the lab; ISC_VENV (default /var/cache/isc/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

step "apt packages"
pkgs=(open-iscsi tgt qemu-system-x86 qemu-utils mmdebstrap groff-base man-db python3-venv tmux zsh fish pipx)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "python environment"
venv=${ISC_VENV:-/var/cache/isc/venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'

step "lint and types"
"$venv/bin/ruff" check .
"$venv/bin/mypy"

step "unit and host tests"
ISC_REQUIRE_HOST=1 "$venv/bin/python" -m pytest -q tests/unit tests/host

if [ "${ISC_SKIP_LAB:-0}" != 1 ]; then
  step "lab image"
  PATH="$venv/bin:$PATH" bash tests/lab/build_image.sh >/dev/null
  step "lab tests"
  PATH="$venv/bin:$PATH" ISC_REQUIRE_LAB=1 "$venv/bin/python" -m pytest -q --durations=12 tests/lab
fi
step "all tests passed"
