#!/usr/bin/env bash
# Runs the demo site from a build tree: meter simulator, payment simulator, backend (HTTP API on
# loopback) and — with a display — the kiosk, stopped together on Ctrl-C or when one of them dies.
#   installer/demo.sh BUILD_DIR
# Environment: PREPAID_DEMO_DATA (default <repo>/demo-data), PREPAID_DEMO_PORT (API, default 8080),
# PREPAID_DEMO_PAY_PORT (8600), PREPAID_DEMO_TIMEOUT_S (readiness deadline per program, 60),
# PREPAID_DEMO_PROGRAMS (which of "meter-sim pay-sim backend kiosk" to run, default all of them),
# PREPAID_DEMO_KIOSKS and PREPAID_DEMO_CONSOLES (clients the backend sizes its HTTP threads for,
# default 2 and 4),
# PREPAID_DEMO_SIM_CONTROL_PORT (the meter simulator's control port for tests: faults, meter
# state; default off), PREPAID_DEMO_SIM_PORT_BASE (the four gateways on BASE..BASE+3 instead of
# the site files' 15020-15023, so test runs do not collide; set it before the data dir's first
# start: the site database keeps the gateway addresses).
# Running a subset lets a test stop and restart one program while the others keep running: e.g.
# PREPAID_DEMO_PROGRAMS="meter-sim pay-sim" in one instance and "backend" in another, on the same
# data dir and ports (start the simulators first: the backend's config names pay-sim's
# providers.json). Prints "[demo] running" once every program it started is ready.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
data=${PREPAID_DEMO_DATA:-$root/demo-data}
api_port=${PREPAID_DEMO_PORT:-8080}
pay_port=${PREPAID_DEMO_PAY_PORT:-8600}
deadline_s=${PREPAID_DEMO_TIMEOUT_S:-60}
programs=" ${PREPAID_DEMO_PROGRAMS:-meter-sim pay-sim backend kiosk} "
for program in $programs; do
  case "$program" in
    meter-sim | pay-sim | backend | kiosk) ;;
    *)
      echo "[demo] PREPAID_DEMO_PROGRAMS: unknown program '$program' (meter-sim pay-sim backend kiosk)" >&2
      exit 2
      ;;
  esac
done
# wanted NAME: true when NAME is in PREPAID_DEMO_PROGRAMS.
wanted() { [[ "$programs" == *" $1 "* ]]; }
mkdir -p "$data" "$data/pay" "$data/logs"
data=$(cd "$data" && pwd)

# Demo credentials (README "Demo site"): never use them on a real site.
admin_user=admin
admin_password=demo-admin-123
kiosk_key=pk_demo_kiosk_key_0001

pids=()
names=()
stopping=0
stop_all() {
  [ "$stopping" -eq 1 ] && return
  stopping=1
  trap - INT TERM
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "[demo] stopped"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The first executable of that name under the build dir (bin/ for the backend programs, the
# target folders for the others).
find_exe() {
  local name=$1 path
  for path in "$build/bin/$name" "$build/devices/sim/$name" "$build/kiosk/app/$name"; do
    [ -x "$path" ] && { echo "$path"; return; }
  done
  find "$build" -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1
}

# start NAME LOG CMD...: runs CMD in the background with stdout+stderr in LOG.
start() {
  local name=$1 log=$2
  shift 2
  echo "[demo] starting $name: $*"
  "$@" >"$log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# wait_for NAME CHECK...: polls CHECK until it succeeds, the program died or the deadline passed.
wait_for() {
  local name=$1 pid=${pids[-1]}
  shift
  local end=$((SECONDS + deadline_s))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "[demo] $name exited before it was ready; its log:" >&2
      tail -n 20 "$data/logs/$name.log" >&2 || true
      exit 1
    fi
    if [ "$SECONDS" -ge "$end" ]; then
      echo "[demo] $name not ready after ${deadline_s}s; its log: $data/logs/$name.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "[demo] $name ready"
}

sim=$(find_exe prepaid-meter-sim)
paysim=$(find_exe prepaid-pay-sim)
backend=$(find_exe prepaid-backend)
ctl=$(find_exe prepaidctl)
kiosk=$(find_exe prepaid-kiosk)
if { wanted backend && { [ -z "$backend" ] || [ -z "$ctl" ]; }; } ||
  { wanted meter-sim && [ -z "$sim" ]; }; then
  echo "[demo] prepaid-backend, prepaidctl and prepaid-meter-sim must be built in $build" >&2
  exit 1
fi
if [ -z "$ctl" ] && [ ! -f "$data/initialized" ]; then
  echo "[demo] prepaidctl must be built in $build to create the demo site database" >&2
  exit 1
fi

# The site and fleet files: the demo's own, or copies in the data dir with the gateways moved.
site_file=$root/assets/demo/site.toml
fleet_file=$root/assets/demo/fleet.toml
if [ -n "${PREPAID_DEMO_SIM_PORT_BASE:-}" ]; then
  base=$PREPAID_DEMO_SIM_PORT_BASE
  if ! [[ "$base" =~ ^[0-9]+$ ]] || [ "$base" -lt 1024 ] || [ "$base" -gt 65532 ]; then
    echo "[demo] PREPAID_DEMO_SIM_PORT_BASE must be a port number 1024..65532, not '$base'" >&2
    exit 2
  fi
  # One pass per line, first match only, so an overlapping BASE never moves a port twice.
  move_ports='{
    for (g = 0; g < 4; g++) {
      old = 15020 + g
      if ($0 ~ ("^port = " old "$")) { $0 = "port = " (base + g); break }
      if (index($0, "127.0.0.1:" old "\"")) { sub("127[.]0[.]0[.]1:" old "\"", "127.0.0.1:" (base + g) "\""); break }
    }
    if (profiles != "" && $0 ~ /^profile_dir = /) { $0 = "profile_dir = \"" profiles "\"" }
    print
  }'
  awk -v base="$base" -v profiles="" "$move_ports" "$site_file" >"$data/site.toml"
  awk -v base="$base" -v profiles="$root/assets/meters" "$move_ports" "$fleet_file" >"$data/fleet.toml"
  site_file=$data/site.toml
  fleet_file=$data/fleet.toml
fi

# First start: the site database from assets/demo/site.toml, the staff login and the kiosk. The
# marker is written last, so an interrupted first start is redone from scratch.
if [ ! -f "$data/initialized" ]; then
  rm -f "$data/site.db" "$data/site.db-wal" "$data/site.db-shm"
  echo "[demo] creating the demo site database $data/site.db"
  "$ctl" init --site "$site_file" --db "$data/site.db" >/dev/null
  "$ctl" operator add --db "$data/site.db" --username "$admin_user" --name "演示管理员" \
    --role admin --password-stdin <<<"$admin_password" >/dev/null
  "$ctl" kiosk add --db "$data/site.db" --name "kiosk-A1" --key "$kiosk_key" >/dev/null
  touch "$data/initialized"
fi

if wanted meter-sim; then
  sim_control=()
  if [ -n "${PREPAID_DEMO_SIM_CONTROL_PORT:-}" ]; then
    sim_control=(--control-port "$PREPAID_DEMO_SIM_CONTROL_PORT")
  fi
  start meter-sim "$data/logs/meter-sim.log" \
    "$sim" --fleet "$fleet_file" --state "$data/meters.state" "${sim_control[@]}"
  wait_for meter-sim grep -qx ready "$data/logs/meter-sim.log"
fi

if wanted pay-sim && [ -n "$paysim" ]; then
  start pay-sim "$data/logs/pay-sim.log" "$paysim" --port "$pay_port" --keys-dir "$data/pay" \
    --notify-base "http://127.0.0.1:$api_port/api/v1/payments/notify"
  wait_for pay-sim grep -qx ready "$data/logs/pay-sim.log"
fi

if wanted backend; then
  # Payments when this run started pay-sim, or another instance did (its providers.json).
  payments_section=""
  if { wanted pay-sim && [ -n "$paysim" ]; } || { ! wanted pay-sim && [ -f "$data/pay/providers.json" ]; }; then
    payments_section=$'[payments]\nproviders = "pay/providers.json"'
  fi
  cat >"$data/backend.toml" <<TOML
# Generated by installer/demo.sh on every start.
[store]
database = "site.db"
[log]
level = "info"
[meters]
profile_dir = "$build/share/prepaid/meters"
[http]
host = "127.0.0.1"
port = $api_port
kiosks = ${PREPAID_DEMO_KIOSKS:-2}
consoles = ${PREPAID_DEMO_CONSOLES:-4}
$payments_section
TOML

  start backend "$data/logs/backend.log" "$backend" --config "$data/backend.toml"
  wait_for backend curl -fsS --max-time 2 "http://127.0.0.1:$api_port/api/v1/health"
fi

if wanted kiosk; then
  if [ -n "${DISPLAY:-}" ] && [ -n "$kiosk" ]; then
    start kiosk "$data/logs/kiosk.log" "$kiosk" --windowed 1080x1920 \
      --backend "http://127.0.0.1:$api_port" --kiosk-key "$kiosk_key" \
      --site-name "演示商场" --printer "virtual:$data/receipts"
  else
    echo "[demo] kiosk not started (no DISPLAY or not built)"
  fi
fi

if [ ${#pids[@]} -eq 0 ]; then
  echo "[demo] nothing to run (PREPAID_DEMO_PROGRAMS='${PREPAID_DEMO_PROGRAMS:-}')" >&2
  exit 1
fi

if wanted backend; then
  echo "[demo] API:         http://127.0.0.1:$api_port/api/v1 (health: /api/v1/health, OpenAPI: /api/v1/openapi.json)"
  echo "[demo] staff login: $admin_user / $admin_password   kiosk key: $kiosk_key"
fi
echo "[demo] data and logs: $data"
echo "[demo] running: ${names[*]}; press Ctrl-C to stop"
# Returns when any of them exits; the EXIT trap stops the others.
set +e
wait -n "${pids[@]}"
status=$?
set -e
if [ "$stopping" -eq 0 ]; then
  echo "[demo] a program exited (status $status); stopping the others" >&2
  exit 1
fi
