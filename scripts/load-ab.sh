#!/usr/bin/env bash
# Paired load runs: two (or more) dev-server builds at one rate, alternating, so the machine's
# drift falls on both alike. Prints each run's line (server, generator and whole-machine CPU per
# request over the run's middle 8 s, then the generator's result row: rate, sent, achieved, p50,
# p99, max, errors, client lag p99) and the median p99 of each build. docs/benchmarks.md
# (sessions 13–15) compares builds this way: single runs at 1,000/s vary by several ms.
#
#   cargo build --profile release-local -p clearview-devserver --bin clearview --example load
#   mkdir -p /tmp/a /tmp/b && cp target/release-local/clearview /tmp/a/   # then build b, copy
#   scripts/load-ab.sh 3 base=/tmp/a new=/tmp/b          # RATE=1000 SECS=14 by default
#
# Each build is a folder holding a binary named `clearview` (the script finds the server by
# that name). Needs Linux (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: $0 PAIRS label=dir [label=dir ...]" >&2; exit 2; }
pairs=$1; shift
rate=${RATE:-1000}; secs=${SECS:-14}
load=${LOAD:-target/release-local/examples/load}
[[ -x $load ]] || { echo "$load not built: cargo build --profile release-local -p clearview-devserver --example load" >&2; exit 1; }
((secs >= 14)) || { echo "SECS must be at least 14 (CPU is read over 8 s after a 3 s ramp)" >&2; exit 2; }

tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }                         # a process's ticks
machine() { awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print $5+$6, t}' /proc/stat; } # idle, all

one_run() { # $1: server binary; prints one line
  local out err lp sp s0 l0 i0 t0 s1 l1 i1 t1
  out=$(mktemp); err=$(mktemp)
  sync; sleep 3
  "$load" --server "$1" --rates "$rate" --seconds "$secs" >"$out" 2>"$err" &
  lp=$!
  until grep -q open-model "$out" 2>/dev/null; do
    sleep 0.2
    kill -0 "$lp" 2>/dev/null || { cat "$err" >&2; rm -f "$out" "$err"; return 1; }
  done
  sleep 3
  sp=$(pgrep -x clearview | head -1)
  s0=$(cpu "$sp"); l0=$(cpu "$lp"); read -r i0 t0 < <(machine)
  sleep 8
  s1=$(cpu "$sp"); l1=$(cpu "$lp"); read -r i1 t1 < <(machine)
  wait "$lp"
  awk -v s=$((s1 - s0)) -v l=$((l1 - l0)) -v it=$((i1 - i0)) -v tt=$((t1 - t0)) -v tick="$tick" -v rate="$rate" \
    -v res="$(awk -v r="$rate" '$1 == r' "$out")" 'BEGIN {
      k = 1000 / tick / 8 / rate
      printf "server %.3f ms/req  load %.3f ms/req  machine %.3f ms/req | %s\n", s * k, l * k, (tt - it) * k, res }'
  rm -f "$out" "$err"
}

declare -A p99s
for ((i = 0; i < pairs; i++)); do
  for spec in "$@"; do
    label=${spec%%=*}; dir=${spec#*=}
    line=$(one_run "$dir/clearview")
    echo "$label: $line"
    p99s[$label]="${p99s[$label]:-} $(echo "$line" | awk -F'|' '{split($2, a, " "); print a[5]}')"
  done
done
for spec in "$@"; do
  label=${spec%%=*}
  echo "$label p99s:${p99s[$label]}  median: $(tr ' ' '\n' <<<"${p99s[$label]}" | grep . | sort -g |
    awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
done
