#!/bin/sh
# Target 2 around an HTTPS refresh (issue 13, docs/performance.md): the agent's memory idle, right after
# an `auth refresh` against the platform emulator (with the HTTPS helper still alive, whose own memory
# is reported too), and once the helper has exited (idle, agentd/http/https_client.hpp kHelperIdle).
# Reads VmRSS, RssAnon (/proc/PID/status) and Pss, Pss_Anon (/proc/PID/smaps_rollup); REPEAT fresh agents.
#   bench/rss_refresh.sh BUILD_DIR                  # file store
#   STORE=keyring bench/rss_refresh.sh BUILD_DIR    # keyring store, inside tests/support/with-keyring.sh
# Needs bin/fluxloop, bin/fluxloop-agentd, its helpers, fluxloop-platform; curl, jq, openssl.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_store "$0" "$@"
bench_init "${1:-}"
need "$client" "$agentd" "$platform"
repeat=${REPEAT:-3}
idle=${IDLE:-2}
helper_idle=${HELPER_IDLE:-12}  # past the HTTPS helper's 10 s idle time

"$here/../tests/platform/make-test-ca.sh" "$tmp/pki" >/dev/null 2>&1
"$platform" --cert "$tmp/pki/server.pem" --key "$tmp/pki/server-key.pem" --port 0 --port-file "$tmp/port" \
  --quiet >/dev/null 2>"$tmp/platform.log" &
bench_pids="$bench_pids $!"
i=0
until [ -s "$tmp/port" ]; do i=$((i + 1)); [ $i -lt 200 ] || { echo "$0: emulator did not start" >&2; exit 1; }; sleep 0.05; done
issuer=https://127.0.0.1:$(cat "$tmp/port")
export FLUXLOOP_CA_BUNDLE=$tmp/pki/ca.pem

# One line of figures (KiB) for process $1.
measure() { proc_figures "$1" "$2"; }
helper_of() { for p in $(pgrep -P "$agent_pid" 2>/dev/null); do [ "$(cat /proc/$p/comm)" = "$1" ] && echo "$p"; done; true; }
maps_of() { grep -Eo '/lib(ssl|crypto|secret-1|glib-2\.0|gio-2\.0)[^ ]*' "/proc/$agent_pid/maps" | sort -u | tr '\n' ' '; }

echo "store=$store repeat=$repeat loadavg=$(loadavg)"
run=1
while [ "$run" -le "$repeat" ]; do
  rm -rf "$FLUXLOOP_HOME"
  mkdir -m 700 "$FLUXLOOP_HOME"
  printf '%s' '{"client_id": "fluxloop-cli"}' |
    curl -sS --fail-with-body --cacert "$FLUXLOOP_CA_BUNDLE" -X POST -H 'content-type: application/json' --data-binary @- \
      "$issuer/_emulator/tokens" |
    jq --arg issuer "$issuer" --arg exp "$(date -u -d '+3600 seconds' +%Y-%m-%dT%H:%M:%SZ)" \
      '{default_profile: "bench", profiles: {bench: {access_token, refresh_token, expires_at: $exp,
        issuer: $issuer, client_id: "fluxloop-cli", api_endpoint: $issuer}}}' >"$tmp/credentials.json"
  start_agent
  "$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
  "$client" auth token >/dev/null
  sleep "$idle"
  measure "$agent_pid" idle
  "$client" auth refresh >/dev/null 2>&1
  sleep "$idle"
  measure "$agent_pid" refresh+helper
  h=$(helper_of fluxloop-https-)
  if [ -n "$h" ]; then measure "$h" https-helper; fi
  k=$(helper_of fluxloop-keyrin)
  if [ -n "$k" ]; then measure "$k" keyring-helper; fi
  echo "run=$run agent maps (refresh+helper): $(maps_of)" | tee -a "$tmp/figures.txt"
  sleep "$helper_idle"
  measure "$agent_pid" after-helper-exit
  echo "run=$run agent maps (after): $(maps_of); children: $(pgrep -P "$agent_pid" | tr '\n' ' ')" | tee -a "$tmp/figures.txt"
  stop_agent
  run=$((run + 1))
done
echo "medians (kB):"
for phase in idle refresh+helper https-helper keyring-helper after-helper-exit; do
  grep -q "phase=$phase " "$tmp/figures.txt" || continue
  line="$phase:"
  for key in VmRSS Pss RssAnon Pss_Anon; do
    line="$line $key=$(phase_median "$phase" "$key")"
  done
  echo "  $line"
done
