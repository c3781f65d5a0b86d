# Shared helpers for the bench scripts (sourced, POSIX sh). Builds nothing.
#   bench_store SCRIPT ARGS... STORE=file|keyring (default file) as FLUXLOOP_STORE; for keyring, runs
#                            SCRIPT again inside a private D-Bus session with an unlocked keyring
#   bench_init BUILD_DIR     sets $client $agentd $echo $roundtrips $platform, a private $tmp (removed on
#                            exit) and an environment where the agent and clients only see $tmp
#   start_agent [ARGS...]    starts fluxloop-agentd --foreground (pid in $agent_pid), waits until it answers
#   stop_agent               SIGTERM and wait
#   sample_credentials FILE N  a multi-profile credentials file with N made-up, long-lived profiles
#   median                   the median of numbers on stdin, one per line
#   proc_figures PID PHASE   one line of memory figures (KiB) of process PID, appended to $tmp/figures.txt
#   phase_median PHASE KEY   the median of KEY over the figures lines of PHASE
#   loadavg                  the 1-minute load average
# KEEP_TMP=1 keeps $tmp (agent log, figures) for a look afterwards.

bench_pids=
bench_store() {
  script=$1
  shift
  store=${STORE:-file}
  if [ "$store" = keyring ] && [ -z "${FLUXLOOP_BENCH_IN_KEYRING:-}" ]; then
    # A private D-Bus session with an unlocked gnome-keyring-daemon (PLATFORM.md).
    exec "$(dirname "$script")/../tests/support/with-keyring.sh" env FLUXLOOP_BENCH_IN_KEYRING=1 "$script" "$@"
  fi
  export FLUXLOOP_STORE=$store
}

bench_init() {
  build=${1:?usage: $0 BUILD_DIR}
  build=$(cd "$build" && pwd)
  client=$build/bin/fluxloop
  agentd=$build/bin/fluxloop-agentd
  echo_server=$build/bin/fluxloop-bench-echo
  roundtrips=$build/bin/fluxloop-bench-roundtrips
  platform=${FLUXLOOP_EMULATOR:-$build/bin/fluxloop-platform}
  [ -x "$platform" ] || platform=$build/tests/platform/fluxloop-platform
  [ -x "$platform" ] || platform=$build/main/tests/platform/fluxloop-platform
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/fluxloop-bench-XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  # A private HOME as well: the CLI bridge owns $HOME/.fluxloop/auth.json (see bench/token.sh).
  export HOME=$tmp
  export FLUXLOOP_HOME=$tmp/home FLUXLOOP_AGENT_SOCK=$tmp/run/agent.sock FLUXLOOP_NO_AUTOSTART=1
  export FLUXLOOP_STORE=${FLUXLOOP_STORE:-file}
  unset FLUXLOOP_TOKEN FLUXLOOP_API_KEY FLUXLOOP_PROFILE
  mkdir -m 700 "$FLUXLOOP_HOME"
  umask 077
}

need() {
  for bin in "$@"; do
    [ -x "$bin" ] || { echo "$0: $bin not found; build it first (bench/README.md)" >&2; exit 1; }
  done
}

bench_cleanup() {
  for pid in $bench_pids; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp (agent.log, figures)" >&2; else rm -rf "$tmp"; fi
}

agent_pid=
start_agent() {
  "$agentd" --foreground "$@" >>"$tmp/agent.log" 2>&1 &
  agent_pid=$!
  bench_pids="$bench_pids $agent_pid"
  i=0
  until "$client" agent status >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -ge 200 ] || ! kill -0 "$agent_pid" 2>/dev/null; then
      echo "$0: the agent did not start; its log:" >&2
      cat "$tmp/agent.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

stop_agent() {
  [ -n "$agent_pid" ] || return 0
  kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  agent_pid=
}

random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

sample_credentials() {
  file=$1 n=$2
  {
    printf '{"default_profile": "p1", "profiles": {'
    k=1
    while [ $k -le "$n" ]; do
      [ $k -gt 1 ] && printf ', '
      printf '"p%d": {"access_token": "flx_bench_%s", "refresh_token": "flx_refresh_bench_%s", "expires_at": "2099-01-01T00:00:00Z", "user_email": "bench%d@example.com", "api_endpoint": "https://api.fluxloop.invalid"}' \
        "$k" "$(random_hex)" "$(random_hex)" "$k"
      k=$((k + 1))
    done
    printf '}}\n'
  } >"$file"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# The value of key=value field $2 in line $1 (the `result` lines of fluxloop-bench-roundtrips).
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }

# VmRSS, RssAnon, RssFile, VmHWM, Threads from /proc/PID/status; Pss, Pss_Anon, Pss_File from
# smaps_rollup. $run numbers the line.
proc_figures() {
  awk -v phase="$2" -v run="${run:-1}" '
    FILENAME ~ /status$/ && /^(VmRSS|VmHWM|RssAnon|RssFile|Threads):/ { v[$1] = $2 }
    FILENAME ~ /smaps_rollup$/ && /^(Pss|Pss_Anon|Pss_File):/ { v[$1] = $2 }
    END {
      printf "run=%s phase=%s VmRSS=%s Pss=%s RssAnon=%s RssFile=%s Pss_Anon=%s Pss_File=%s VmHWM=%s threads=%s\n",
        run, phase, v["VmRSS:"], v["Pss:"], v["RssAnon:"], v["RssFile:"], v["Pss_Anon:"], v["Pss_File:"], v["VmHWM:"], v["Threads:"]
    }' "/proc/$1/status" "/proc/$1/smaps_rollup" | tee -a "$tmp/figures.txt"
}

phase_median() { grep " phase=$1 " "$tmp/figures.txt" | tr ' ' '\n' | sed -n "s/^$2=//p" | median; }
