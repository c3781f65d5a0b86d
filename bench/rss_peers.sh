#!/bin/sh
# Target 2 side by side (issue 13: "idle memory <= oidc-agent's RSS in the same run"): the idle resident
# memory of fluxloop-agentd, ssh-agent and oidc-agent, each started fresh REPEAT times, interleaved,
# measured IDLE seconds after start (fluxloop-agentd: after an import of PROFILES profiles and one
# token). Each figure is the sum over the agent's process and its children (oidc-agent runs as two
# processes; fluxloop-agentd's helpers have exited by then), from /proc/PID/status (VmRSS, RssAnon)
# and /proc/PID/smaps_rollup (Pss). An agent that is not installed is skipped and says so.
#   bench/rss_peers.sh BUILD_DIR            # e.g. build (what scripts/configure.sh builds: as shipped)
#   REPEAT=5 IDLE=2 PROFILES=3 bench/rss_peers.sh build
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:-}"
need "$client" "$agentd"
repeat=${REPEAT:-3}
idle=${IDLE:-2}
profiles=${PROFILES:-3}

# Sum of VmRSS, RssAnon and Pss (KiB) over PID and its children: "VmRSS RssAnon Pss".
tree_figures() {
  pids="$1 $(ps -o pid= --ppid "$1" 2>/dev/null | tr '\n' ' ')"
  for p in $pids; do
    [ -r "/proc/$p/smaps_rollup" ] || continue
    awk 'FILENAME ~ /status$/ && /^(VmRSS|RssAnon):/ { v[$1] = $2 }
         FILENAME ~ /smaps_rollup$/ && /^Pss:/ { v[$1] = $2 }
         END { print v["VmRSS:"] + 0, v["RssAnon:"] + 0, v["Pss:"] + 0 }' "/proc/$p/status" "/proc/$p/smaps_rollup"
  done | awk '{ r += $1; a += $2; p += $3 } END { print r, a, p }'
}

record() {  # NAME PID
  set -- "$1" "$2" $(tree_figures "$2")
  echo "run=$run agent=$1 VmRSS=$3 RssAnon=$4 Pss=$5" | tee -a "$tmp/figures.txt"
}

sample_credentials "$tmp/credentials.json" "$profiles"
echo "repeat=$repeat idle=${idle}s loadavg=$(loadavg)"
oidc=$(command -v oidc-agent || true)
[ -n "$oidc" ] || echo "oidc-agent is not installed (apt-get install oidc-agent-cli): skipped"
run=1
while [ "$run" -le "$repeat" ]; do
  rm -rf "$FLUXLOOP_HOME" "$tmp/run"
  mkdir -m 700 "$FLUXLOOP_HOME"
  start_agent
  "$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
  "$client" auth token >/dev/null
  sleep "$idle"
  record fluxloop-agentd "$agent_pid"
  stop_agent

  rm -f "$tmp/ssh-agent.sock"
  ssh-agent -D -a "$tmp/ssh-agent.sock" >/dev/null 2>&1 &
  pid=$!
  sleep "$idle"
  record ssh-agent "$pid"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true

  if [ -n "$oidc" ]; then
    mkdir -p "$tmp/oidc"
    OIDC_CONFIG_DIR=$tmp/oidc TMPDIR=$tmp "$oidc" --console >"$tmp/oidc.log" 2>&1 &
    pid=$!
    sleep "$idle"
    record oidc-agent "$pid"
    pkill -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  fi
  run=$((run + 1))
done

echo
echo "medians over $repeat runs (KiB, process and children)"
printf '%-16s %8s %8s %8s\n' agent VmRSS RssAnon Pss
for agent in fluxloop-agentd ssh-agent oidc-agent; do
  grep -q " agent=$agent " "$tmp/figures.txt" || continue
  printf '%-16s' "$agent"
  for key in VmRSS RssAnon Pss; do
    printf ' %8s' "$(grep " agent=$agent " "$tmp/figures.txt" | tr ' ' '\n' | sed -n "s/^$key=//p" | median)"
  done
  printf '\n'
done
