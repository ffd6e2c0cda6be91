#!/usr/bin/env bash
# Runs the demo site from a build tree: every part that exists today, stopped together on Ctrl-C.
#   installer/demo.sh BUILD_DIR
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/ci}
data=${PREPAID_DEMO_DATA:-$root/demo-data}
mkdir -p "$data"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "[demo] stopped"
}
trap stop_all EXIT INT TERM

started=0
start() {
  local name=$1
  shift
  echo "[demo] starting $name: $*"
  "$@" &
  pids+=($!)
  started=$((started + 1))
}

sim=$(find "$build" -type f -name prepaid-meter-sim -perm -u+x 2>/dev/null | head -n 1)
if [ -n "$sim" ]; then
  start "meter simulator" "$sim" --fleet "$root/assets/demo/fleet.toml" --state "$data/meters.state"
fi

if [ "$started" -eq 0 ]; then
  echo "[demo] no demo program is built yet; see README 'What the demo shows today'"
  exit 1
fi
echo "[demo] running; press Ctrl-C to stop"
wait -n "${pids[@]}"
