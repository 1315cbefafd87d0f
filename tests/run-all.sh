#!/usr/bin/env bash
# Runs every test isc has, on a fresh Debian 12 machine, as root:
#   ruff, mypy, unit tests, host tests (real iscsiadm + tgtd), lab tests (QEMU guests with a real kernel).
# Installs what it needs: apt packages, a venv (outside the checkout), the lab image (cached).
# Environment: ISC_SKIP_LAB=1 skips the lab; ISC_VENV (default /var/cache/isc/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

step "apt packages"
pkgs=(open-iscsi tgt qemu-system-x86 qemu-utils mmdebstrap groff-base man-db python3-venv tmux zsh fish pipx
      prometheus)  # prometheus for promtool: it lints isc's metrics and checks the alert rules
missing=()
for p in "${pkgs[@]}"; do  # installed, not merely known to dpkg (a removed package keeps its config files)
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # only promtool is wanted from prometheus: the server its package starts (where no policy-rc.d stops it)
  # would stay on :9090 after the tests; one installed before this run is left alone
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

step "python environment"
venv=${ISC_VENV:-/var/cache/isc/venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'

lab=0
[ "${ISC_SKIP_LAB:-0}" = 1 ] || lab=1
if [ $lab = 1 ]; then  # built (or found in the cache) while the unit and host tests run: 90 s on a fresh machine
  image_log=$(mktemp)
  PATH="$venv/bin:$PATH" bash tests/lab/build_image.sh >/dev/null 2>"$image_log" &
  image_pid=$!
fi

step "lint and types"
"$venv/bin/ruff" check .
"$venv/bin/mypy"

step "unit tests"
"$venv/bin/python" -m pytest -q -n 2 tests/unit

step "host tests"
ISC_REQUIRE_HOST=1 "$venv/bin/python" -m pytest -q tests/host

if [ $lab = 1 ]; then
  step "lab image"
  if ! wait "$image_pid"; then cat "$image_log" >&2; exit 1; fi
  rm -f "$image_log"
  step "lab tests"
  # two guests side by side, a module per guest at a time (a guest is shared by its module's tests): about
  # 1.3x faster than one guest, which leaves one of the two cores mostly idle under TCG
  # each test's name and outcome is printed as it ends (-v), so a log cut short still says where it stopped
  PATH="$venv/bin:$PATH" ISC_REQUIRE_LAB=1 "$venv/bin/python" -m pytest -v -n 2 --dist loadfile --durations=12 \
    tests/lab
fi
step "all tests passed"
