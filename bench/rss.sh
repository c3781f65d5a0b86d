#!/bin/sh
# Target 2: the agent's idle resident memory is at most 4 MiB. Starts a fresh agent REPEAT times, each
# with PROFILES imported profiles, and reads VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup)
#   started  right after it answers           idle     2 s after the import and a first token
#   after1k  REQUESTS get_token round trips (10 connections), then 2 s idle
#   after64  64 connections x 100 round trips at once, then 2 s idle
# then prints medians and, from the last run, where the resident memory lives (by mapping).
#   bench/rss.sh BUILD_DIR                   # file store
#   STORE=keyring bench/rss.sh BUILD_DIR     # keyring store, inside tests/support/with-keyring.sh
#   REPEAT=3 PROFILES=3 REQUESTS=1000 IDLE=2 bench/rss.sh build
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_store "$0" "$@"
bench_init "${1:-}"
need "$client" "$agentd" "$roundtrips"

repeat=${REPEAT:-3}
profiles=${PROFILES:-3}
requests=${REQUESTS:-1000}
idle=${IDLE:-2}

# One line of figures (KiB) for the running agent.
measure() { proc_figures "$agent_pid" "$1"; }

# Resident memory by mapping: files by name, anonymous mappings one by one (size shows what they are:
# 8 MiB + guard = a thread stack, 64 MiB reservations = malloc arenas, [heap] = the main arena).
# "Anon" is the part only this process can have: written pages (a library's relocated data, .bss,
# the heap); the rest of Rss is file pages that every process mapping the same file shares.
breakdown() {
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / {
      name = (NF >= 6) ? $6 : "[anon]"
      if (name ~ /^\//) { n = split(name, parts, "/"); name = parts[n] }
      if (name == "[anon]") name = sprintf("[anon %s %s]", $1, $2)
      next
    }
    /^Size:/ { size[name] += $2 }
    /^Rss:/ { rss[name] += $2 }
    /^Pss:/ { pss[name] += $2 }
    /^Anonymous:/ { anon[name] += $2 }
    END {
      for (k in rss) if (rss[k] > 0) printf "%8d %8d %8d %10d  %s\n", rss[k], pss[k], anon[k], size[k], k
    }' "/proc/$agent_pid/smaps" | sort -rn
}

sample_credentials "$tmp/credentials.json" "$profiles"
echo "store=$store profiles=$profiles requests=$requests idle=${idle}s repeat=$repeat loadavg=$(loadavg)"
run=1
while [ "$run" -le "$repeat" ]; do
  rm -rf "$FLUXLOOP_HOME" "$tmp/run"
  mkdir -m 700 "$FLUXLOOP_HOME"
  start_agent
  measure started
  "$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
  "$client" auth token >/dev/null
  sleep "$idle"
  measure idle
  per_conn=$((requests / 10))
  "$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --clients 10 --requests "$per_conn" --op get_token >"$tmp/load.txt" ||
    { cat "$tmp/load.txt" >&2; exit 1; }
  sleep "$idle"
  measure after1k
  "$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --clients 64 --requests 100 --op get_token >"$tmp/load.txt" ||
    { cat "$tmp/load.txt" >&2; exit 1; }
  sleep "$idle"
  measure after64
  if [ "$run" -eq "$repeat" ]; then breakdown >"$tmp/breakdown.txt"; fi
  stop_agent
  run=$((run + 1))
done

echo
echo "medians over $repeat runs (KiB); target: VmRSS <= 4096 KiB idle"
printf '%-8s %8s %8s %8s %8s %8s %8s %8s\n' phase VmRSS Pss RssAnon RssFile Pss_Anon Pss_File VmHWM
for phase in started idle after1k after64; do
  printf '%-8s' "$phase"
  for key in VmRSS Pss RssAnon RssFile Pss_Anon Pss_File VmHWM; do
    printf ' %8s' "$(phase_median "$phase" "$key")"
  done
  printf '\n'
done
idle_rss=$(phase_median idle VmRSS)
awk -v r="$idle_rss" 'BEGIN { printf "idle VmRSS %.2f MiB (target <= 4 MiB: %s)\n", r / 1024, (r <= 4096 ? "met" : "NOT met") }'
echo
echo "where the memory lives (last run, after64; KiB): Rss Pss Anon Size mapping"
head -n "${TOP:-25}" "$tmp/breakdown.txt"
awk '{ if ($5 ~ /\.so/) { l += $1; la += $3; n++ } else if ($5 ~ /^\[(anon|heap)/) h += $1; else { o += $1; oa += $3 } }
     END { printf "totals: %d shared libraries %d (of it written/anonymous %d), heap and anonymous mappings %d, binary and rest %d (anonymous %d)\n", n, l, la, h, o, oa }' "$tmp/breakdown.txt"
