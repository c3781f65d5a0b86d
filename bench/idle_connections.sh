#!/bin/sh
# Issue 13: IDLE (default 1000) idle connections held open while CLIENTS (64) others are served at
# full speed. Starts a fresh agent (file store, 3 profiles), measures round trips without the idle
# connections, opens them (a python3 holder that sends nothing), measures again, then checks how many
# idle connections the agent kept, the agent's connection count and its memory while they are held.
#   bench/idle_connections.sh BUILD_DIR
#   IDLE=1000 CLIENTS=64 SECONDS_PER_RUN=4 REPEAT=3 AGENTD=path/to/fluxloop-agentd bench/idle_connections.sh build
# Needs bin/fluxloop, bin/fluxloop-agentd (or AGENTD), bin/fluxloop-bench-roundtrips, python3.
# The whole run stays well under the agent's 60 s idle timeout.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:-}"
agentd=${AGENTD:-$agentd}
need "$client" "$agentd" "$roundtrips"
idle=${IDLE:-1000}
clients=${CLIENTS:-64}
seconds=${SECONDS_PER_RUN:-4}
repeat=${REPEAT:-3}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

sample_credentials "$tmp/credentials.json" 3
start_agent
"$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
"$client" auth token >/dev/null
echo "idle=$idle clients=$clients seconds=$seconds repeat=$repeat loadavg=$(loadavg) agentd=$agentd"

load() {
  line=$("$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --clients "$clients" --warmup 1 --seconds "$seconds" \
    --server-pid "$agent_pid" | grep '^result') || true
  echo "$(field "$line" rps) $(field "$line" server_cpu) $(field "$line" p50_us) $(field "$line" p99_us) $(field "$line" failed)"
}

# The holder: connects IDLE sockets, says "held N", waits for a line on stdin, then says "open N"
# (connections the agent has not closed) and exits.
mkfifo "$tmp/holder.in"
cat >"$tmp/holder.py" <<'PY'
import os, select, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
print("held", len(held), flush=True)
sys.stdin.readline()
open_count = 0
for s in held:
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        open_count += 1
        continue
    try:
        if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
            open_count += 1  # a frame (busy?) arrived: counted open, but see the agent log
    except BlockingIOError:
        open_count += 1
    except OSError:
        pass
print("open", open_count, flush=True)
PY
python3 -u "$tmp/holder.py" "$FLUXLOOP_AGENT_SOCK" "$idle" <"$tmp/holder.in" >"$tmp/holder.out" 2>&1 &
holder_pid=$!
bench_pids="$bench_pids $holder_pid"

: >"$tmp/without.txt"; : >"$tmp/with.txt"
round=1
while [ "$round" -le "$repeat" ]; do
  l=$(load); echo "$l" >>"$tmp/without.txt"; echo "round $round without idle: rps cpu p50_us p99_us failed = $l"
  round=$((round + 1))
done
exec 3>"$tmp/holder.in"  # lets the holder run
i=0
until grep -q '^held' "$tmp/holder.out" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 600 ] || { echo "$0: holder did not connect: $(cat "$tmp/holder.out")" >&2; exit 1; }; sleep 0.05
done
echo "holder: $(cat "$tmp/holder.out"); agent reports $("$client" agent status --json 2>/dev/null | sed -n 's/.*"connections": *\([0-9]*\).*/\1/p') connections"
round=1
while [ "$round" -le "$repeat" ]; do
  l=$(load); echo "$l" >>"$tmp/with.txt"; echo "round $round with $idle idle: rps cpu p50_us p99_us failed = $l"
  round=$((round + 1))
done
printf 'agent memory with %s idle connections held: VmRSS %s KiB, RssAnon %s KiB\n' "$idle" \
  "$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status")" "$(awk '/^RssAnon:/ { print $2 }' "/proc/$agent_pid/status")"
echo >&3
exec 3>&-
wait "$holder_pid" || true
open=$(sed -n 's/^open //p' "$tmp/holder.out")
without=$(cut -d' ' -f1 "$tmp/without.txt" | median)
with=$(cut -d' ' -f1 "$tmp/with.txt" | median)
# Round trips per agent CPU-second: what the idle connections cost the agent, whatever the machine's load.
without_eff=$(awk '$2 > 0 { printf "%.0f\n", $1 / $2 }' "$tmp/without.txt" | median)
with_eff=$(awk '$2 > 0 { printf "%.0f\n", $1 / $2 }' "$tmp/with.txt" | median)
awk -v a="$without" -v b="$with" -v o="$open" -v n="$idle" \
  'BEGIN { printf "median rps without idle %d, with %d idle held %d (%.2f); idle connections still open at the end: %d of %d (%s)\n", a, n, b, b / a, o, n, (o == n ? "all held" : "NOT all held") }'
awk -v a="$without_eff" -v b="$with_eff" \
  'BEGIN { if (a > 0) printf "median round trips per agent CPU-second: without idle %d, with idle held %d (%.2f)\n", a, b, b / a }'
echo "agent log lines about closed idle connections: $(grep -c 'longest-idle' "$tmp/agent.log" || true); loadavg=$(loadavg)"
