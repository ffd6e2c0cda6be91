#!/usr/bin/env bash
# Sets up a Debian 12 machine for Prepaid and then runs the demo site or every test.
#
#   installer/setup.sh demo    install packages, configure, build, run the demo site
#   installer/setup.sh test    install packages, configure, build, run every test
#   installer/setup.sh build   install packages, configure, build
#
# Idempotent: packages already present are skipped, the build is incremental. Runs as root or
# through sudo. Each step prints one progress line; a failing step stops with its name.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
preset=${PREPAID_PRESET:-ci}
step_no=0

step() {
  step_no=$((step_no + 1))
  printf '[setup %d] %s\n' "$step_no" "$*"
}

fail() {
  printf '[setup] FAILED: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "$mode" in
  demo | test | build) ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fail "installing packages needs root: run as root or install sudo"
  fi
}

install_packages() {
  local wanted missing=()
  mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$root/installer/debian-packages.txt")
  for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    step "Debian packages: all ${#wanted[@]} present"
    return
  fi
  step "Debian packages: installing ${#missing[@]} missing (${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >/dev/null || fail "apt-get update"
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || fail "apt-get install ${missing[*]}"
}

configure_and_build() {
  step "Configure (CMake preset '$preset')"
  log=$(mktemp)
  cmake --preset "$preset" -S "$root" >"$log" 2>&1 \
    || { cat "$log" >&2; fail "cmake configure (see above)"; }
  rm -f "$log"
  step "Build with $(nproc) jobs"
  cmake --build --preset "$preset" -j "$(nproc)" || fail "build (compiler output above)"
}

cd "$root"
install_packages
configure_and_build

case "$mode" in
  build) step "Built into build/$preset" ;;
  test)
    step "Run every test (ctest preset '$preset')"
    ctest --preset "$preset" || fail "tests (failing tests listed above)"
    ;;
  demo)
    step "Start the demo site"
    exec "$root/installer/demo.sh" "$root/build/$preset"
    ;;
esac
