#!/bin/sh
# Compares several fluxloop-agentd binaries (e.g. before and after a change) against the echo server,
# interleaved round by round so machine load hurts all alike: round trips/s, ratio to echo, and round
# trips per CPU-second of each server (robust when the agents get different shares of a busy machine).
#   bench/compare_agents.sh BUILD_DIR AGENTD [AGENTD...]
#   ARGS="--clients 1 --reconnect" REPEAT=5 SECONDS_PER_RUN=4 bench/compare_agents.sh build a/fluxloop-agentd b/fluxloop-agentd
# BUILD_DIR provides fluxloop, fluxloop-bench-echo and fluxloop-bench-roundtrips.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:-}"
shift
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR AGENTD [AGENTD...]" >&2; exit 2; }
need "$client" "$echo_server" "$roundtrips" "$@"
repeat=${REPEAT:-5}
seconds=${SECONDS_PER_RUN:-4}
args=${ARGS:---clients 64}

"$echo_server" "$tmp/echo.sock" >/dev/null &
echo_pid=$!
bench_pids="$bench_pids $echo_pid"
sample_credentials "$tmp/credentials.json" 3
n=0
for binary in "$@"; do
  n=$((n + 1))
  mkdir -m 700 "$tmp/home$n"
  FLUXLOOP_HOME=$tmp/home$n FLUXLOOP_AGENT_SOCK=$tmp/agent$n.sock "$binary" --foreground >"$tmp/agent$n.log" 2>&1 &
  eval "pid$n=$!"
  bench_pids="$bench_pids $!"
  i=0
  until FLUXLOOP_HOME=$tmp/home$n FLUXLOOP_AGENT_SOCK=$tmp/agent$n.sock "$client" agent status >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "$0: agent $n ($binary) did not start" >&2; cat "$tmp/agent$n.log" >&2; exit 1; }; sleep 0.05
  done
  FLUXLOOP_HOME=$tmp/home$n FLUXLOOP_AGENT_SOCK=$tmp/agent$n.sock "$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
  echo "agent $n: $binary"
done
echo "args: $args; seconds=$seconds repeat=$repeat loadavg=$(loadavg)"

# One run: appends rps and rps per server CPU-second to $tmp/NAME.rps / NAME.eff; prints a line.
run() {
  name=$1 socket=$2 pid=$3
  shift 3
  # shellcheck disable=SC2086 # args are options
  line=$("$roundtrips" --socket "$socket" $args --warmup 1 --seconds "$seconds" --server-pid "$pid" "$@" | grep '^result') || true
  rps=$(field "$line" rps)
  cpu=$(field "$line" server_cpu)
  echo "$rps" >>"$tmp/$name.rps"
  awk -v r="$rps" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f\n", r / c }' >>"$tmp/$name.eff"
  # The replies by outcome (ok=N, and any error code), from the end of the result line.
  outcomes=$(printf '%s\n' "$line" | sed 's/.*loadavg=[^ ]*//')
  echo "  $name: $rps/s cpu=$cpu p50=$(field "$line" p50_us)us p99=$(field "$line" p99_us)us failed=$(field "$line" failed)$outcomes"
}

round=1
while [ "$round" -le "$repeat" ]; do
  echo "round $round"
  run echo "$tmp/echo.sock" "$echo_pid" --target echo
  k=1
  while [ "$k" -le "$n" ]; do
    eval "pid=\$pid$k"
    run "agent$k" "$tmp/agent$k.sock" "$pid"
    k=$((k + 1))
  done
  round=$((round + 1))
done

echo_rps=$(median <"$tmp/echo.rps")
echo "median echo: $echo_rps/s, $(median <"$tmp/echo.eff") per server CPU-second"
k=1
while [ "$k" -le "$n" ]; do
  awk -v k="$k" -v a="$(median <"$tmp/agent$k.rps")" -v e="$echo_rps" -v eff="$(median <"$tmp/agent$k.eff")" \
    'BEGIN { printf "median agent %d: %d/s, ratio to echo %.2f, %d per server CPU-second\n", k, a, a / e, eff }'
  k=$((k + 1))
done
echo "loadavg=$(loadavg)"
