#!/bin/sh
# Target 3: 64 concurrent clients get at least half the round trips per second of a bare Unix-socket
# echo server speaking the same framing. Alternates echo and agent runs (REPEAT rounds) so a busy
# machine hurts both alike, then compares the medians.
#   bench/concurrency.sh BUILD_DIR
#   CLIENTS=64 SECONDS_PER_RUN=5 REPEAT=5 THREADS=1 bench/concurrency.sh build
# Needs bin/fluxloop, bin/fluxloop-agentd, bin/fluxloop-bench-echo, bin/fluxloop-bench-roundtrips.
set -eu
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need "$client" "$agentd" "$echo_server" "$roundtrips"

clients=${CLIENTS:-64}
seconds=${SECONDS_PER_RUN:-5}
repeat=${REPEAT:-5}
threads=${THREADS:-1}
load_args="--clients $clients --threads $threads --warmup 1 --seconds $seconds"

"$echo_server" "$tmp/echo.sock" >/dev/null &
echo_pid=$!
bench_pids="$bench_pids $echo_pid"
i=0
until [ -S "$tmp/echo.sock" ]; do i=$((i + 1)); [ $i -lt 100 ] || { echo "$0: echo server did not start" >&2; exit 1; }; sleep 0.05; done

sample_credentials "$tmp/credentials.json" 3
start_agent
"$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
"$client" auth token >/dev/null

echo "clients=$clients threads=$threads seconds=$seconds repeat=$repeat loadavg_start=$(loadavg) cores=$(nproc)"
: >"$tmp/echo.txt"
: >"$tmp/agent.txt"
round=1
while [ "$round" -le "$repeat" ]; do
  # shellcheck disable=SC2086 # word splitting of load_args is intended
  e=$("$roundtrips" --socket "$tmp/echo.sock" --target echo $load_args --server-pid "$echo_pid" | grep '^result') ||
    { echo "$0: echo run failed: $e" >&2; exit 1; }
  # shellcheck disable=SC2086
  a=$("$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --target agent --op get_token $load_args --server-pid "$agent_pid" | grep '^result') ||
    { echo "$0: agent run failed (a reply was not a token, or a connection failed): $a" >&2; exit 1; }
  echo "round $round echo : $(echo "$e" | cut -d' ' -f5-)"
  echo "round $round agent: $(echo "$a" | cut -d' ' -f5-)"
  field "$e" rps >>"$tmp/echo.txt"
  field "$a" rps >>"$tmp/agent.txt"
  field "$e" p50_us >>"$tmp/echo_p50.txt"
  field "$a" p50_us >>"$tmp/agent_p50.txt"
  field "$e" p99_us >>"$tmp/echo_p99.txt"
  field "$a" p99_us >>"$tmp/agent_p99.txt"
  round=$((round + 1))
done

echo_rps=$(median <"$tmp/echo.txt")
agent_rps=$(median <"$tmp/agent.txt")
echo "median echo : $echo_rps round trips/s (p50 $(median <"$tmp/echo_p50.txt") us, p99 $(median <"$tmp/echo_p99.txt") us)"
echo "median agent: $agent_rps round trips/s (p50 $(median <"$tmp/agent_p50.txt") us, p99 $(median <"$tmp/agent_p99.txt") us)"
echo "agent idle RSS after the runs: $(awk '/^VmRSS/ { print $2, $3 }' "/proc/$agent_pid/status")"
awk -v a="$agent_rps" -v e="$echo_rps" 'BEGIN { r = a / e; printf "ratio agent/echo: %.2f (target >= 0.50: %s)\n", r, (r >= 0.5 ? "met" : "NOT met") }'
echo "loadavg_end=$(loadavg)"
