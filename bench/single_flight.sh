#!/bin/sh
# Target 4: one HTTP refresh however many clients ask at once. Starts the platform emulator (HTTPS,
# test CA), seeds a refreshable profile (issuer + client_id) through `fluxloop auth import`, then lets
# CLIENTS clients ask at the same moment and reads the emulator's counters (/_emulator/stats):
#   A  CLIENTS raw get_token frames with min_valid above the token's remaining lifetime
#   B  CLIENTS raw auth_refresh frames (an explicit "refresh now")
#   C  as B, with the emulator holding each token request DELAY_MS (a slow server)
#   D  CLIENTS `fluxloop auth token --min-valid 600` processes released together
#   E  CLIENTS `fluxloop auth refresh` processes released together (when the client has the command)
# A forced refresh adopts a refresh that landed within the last 2 s (agentd/tokens/refresher.hpp,
# kForcedRefreshWindow), so every burst and every make_stale waits SETTLE_S (default 2.2) first:
# each burst then starts from a quiet profile and must cost exactly 1 refresh.
# Raw frames go over CLIENTS connections opened beforehand and written within the same millisecond
# (fluxloop-bench-roundtrips --requests 1); processes wait on a FIFO and are released by closing it.
#   bench/single_flight.sh BUILD_DIR
#   CLIENTS=64 REPEAT=3 DELAY_MS=300 bench/single_flight.sh build
# Needs bin/fluxloop, bin/fluxloop-agentd, bin/fluxloop-bench-roundtrips and fluxloop-platform
# (FLUXLOOP_EMULATOR=PATH to use one built elsewhere); curl, jq, openssl.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:-}"
need "$client" "$agentd" "$roundtrips" "$platform"

clients=${CLIENTS:-64}
repeat=${REPEAT:-3}
delay_ms=${DELAY_MS:-300}
settle_s=${SETTLE_S:-2.2}  # past the agent's forced-refresh window
short_lifetime=120  # seed tokens: well under --min-valid 600, far from the agent's proactive refresh
long_lifetime=3600  # tokens issued during a burst satisfy --min-valid 600

"$here/../tests/platform/make-test-ca.sh" "$tmp/pki" >/dev/null 2>&1
"$platform" --cert "$tmp/pki/server.pem" --key "$tmp/pki/server-key.pem" --port 0 --port-file "$tmp/port" \
  --quiet >/dev/null 2>"$tmp/platform.log" &
bench_pids="$bench_pids $!"
i=0
until [ -s "$tmp/port" ]; do i=$((i + 1)); [ $i -lt 200 ] || { echo "$0: emulator did not start" >&2; cat "$tmp/platform.log" >&2; exit 1; }; sleep 0.05; done
issuer=https://127.0.0.1:$(cat "$tmp/port")
export FLUXLOOP_CA_BUNDLE=$tmp/pki/ca.pem

# An emulator knob: METHOD PATH [JSON]. Bodies travel on stdin; tokens never reach argv or the terminal.
admin() {
  if [ $# -ge 3 ]; then
    printf '%s' "$3" | curl -sS --fail-with-body --cacert "$FLUXLOOP_CA_BUNDLE" -X "$1" -H 'content-type: application/json' --data-binary @- "$issuer$2"
  else
    curl -sS --fail-with-body --cacert "$FLUXLOOP_CA_BUNDLE" -X "$1" "$issuer$2"
  fi
}
lifetime() { admin POST /_emulator/config "{\"token_lifetime\": $1}" >/dev/null; }

# The seed: a grant minted without a login, written as a refreshable profile (0600, umask 077).
lifetime "$short_lifetime"
admin POST /_emulator/tokens '{"client_id": "fluxloop-cli"}' |
  jq --arg issuer "$issuer" --arg exp "$(date -u -d "+$short_lifetime seconds" +%Y-%m-%dT%H:%M:%SZ)" \
    '{default_profile: "bench", profiles: {bench: {access_token, refresh_token, expires_at: $exp,
      issuer: $issuer, client_id: "fluxloop-cli", api_endpoint: $issuer}}}' \
    >"$tmp/credentials.json"
start_agent
"$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
"$client" auth token >/dev/null

# Makes the profile's current token short-lived again (one refresh while lifetime is short).
make_stale() {
  settle
  lifetime "$short_lifetime"
  "$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --clients 1 --requests 1 --op auth_refresh >/dev/null
  lifetime "$long_lifetime"
}

# Lets the last refresh leave the forced-refresh window, so the next burst is judged on its own.
settle() { sleep "$settle_s"; }

# Prints "refreshes=N reuse=N errors=N" from the emulator's counters.
counters() {
  admin GET /_emulator/stats | jq -r '"refreshes=\(.refreshes) reuse=\(.refresh_token_reuse) token_errors=\(.token_errors | add // 0)"'
}

# Runs CLIENTS copies of the client command "$@", released together; prints "ok=N failed=N ms=N".
processes() {
  rm -f "$tmp/go" "$tmp/rc"
  mkfifo "$tmp/go"
  pids=
  k=0
  while [ $k -lt "$clients" ]; do
    (
      : <"$tmp/go"  # blocks until the FIFO's writer closes it
      "$client" "$@" >/dev/null 2>>"$tmp/client.err"
      echo $? >>"$tmp/rc"
    ) &
    pids="$pids $!"
    k=$((k + 1))
  done
  sleep 0.5  # every child is blocked in open() by now
  start=$(date +%s%N)
  : >"$tmp/go"
  # shellcheck disable=SC2086
  wait $pids
  end=$(date +%s%N)
  printf 'ok=%s failed=%s ms=%s\n' "$(grep -c '^0$' "$tmp/rc" || true)" "$(grep -vc '^0$' "$tmp/rc" || true)" $(((end - start) / 1000000))
}

frames() {
  out=$("$roundtrips" --socket "$FLUXLOOP_AGENT_SOCK" --clients "$clients" --requests 1 "$@" | grep '^result') || true
  printf 'replies:%s p50_ms=%s max_ms=%s\n' "$(echo "$out" | sed 's/.*loadavg=[^ ]*//')" \
    "$(awk -v u="$(field "$out" p50_us)" 'BEGIN { printf "%.1f", u / 1000 }')" \
    "$(awk -v u="$(field "$out" max_us)" 'BEGIN { printf "%.1f", u / 1000 }')"
}

has_refresh=no
"$client" auth refresh --help >/dev/null 2>&1 && has_refresh=yes
echo "clients=$clients repeat=$repeat delay_ms=$delay_ms loadavg=$(loadavg) client_has_auth_refresh=$has_refresh"
: >"$tmp/counts.txt"
run=1
while [ "$run" -le "$repeat" ]; do
  make_stale; admin POST /_emulator/stats/reset >/dev/null
  r=$(frames --op get_token --min-valid 600); c=$(counters)
  echo "run $run A get_token --min-valid 600 frames : $c | $r"; echo "A $c" >>"$tmp/counts.txt"

  settle; admin POST /_emulator/stats/reset >/dev/null
  r=$(frames --op auth_refresh); c=$(counters)
  echo "run $run B auth_refresh frames             : $c | $r"; echo "B $c" >>"$tmp/counts.txt"

  admin POST /_emulator/faults "{\"kind\": \"delay\", \"delay_ms\": $delay_ms, \"path_prefix\": \"/oauth/token\", \"count\": 1}" >/dev/null
  settle; admin POST /_emulator/stats/reset >/dev/null
  r=$(frames --op auth_refresh); c=$(counters)
  echo "run $run C auth_refresh frames, slow server: $c | $r"; echo "C $c" >>"$tmp/counts.txt"
  admin DELETE /_emulator/faults >/dev/null

  make_stale; admin POST /_emulator/stats/reset >/dev/null
  r=$(processes auth token --min-valid 600); c=$(counters)
  echo "run $run D fluxloop auth token --min-valid  : $c | $r"; echo "D $c" >>"$tmp/counts.txt"

  if [ "$has_refresh" = yes ]; then
    settle; admin POST /_emulator/stats/reset >/dev/null
    r=$(processes auth refresh); c=$(counters)
    echo "run $run E fluxloop auth refresh processes : $c | $r"; echo "E $c" >>"$tmp/counts.txt"
  fi
  run=$((run + 1))
done

echo
for s in A B C D E; do
  grep -q "^$s " "$tmp/counts.txt" || continue
  printf 'scenario %s: HTTP refreshes per burst of %s: %s (target 1); refresh-token reuse: %s\n' "$s" "$clients" \
    "$(grep "^$s " "$tmp/counts.txt" | sed 's/.*refreshes=\([0-9]*\).*/\1/' | tr '\n' ' ')" \
    "$(grep "^$s " "$tmp/counts.txt" | sed 's/.*reuse=\([0-9]*\).*/\1/' | tr '\n' ' ')"
done
[ -s "$tmp/client.err" ] && { echo "client stderr (first 5 distinct lines):"; sort "$tmp/client.err" | uniq -c | head -5; }
echo "agent log lines mentioning refresh: $(grep -ci refresh "$tmp/agent.log" || true)"
# Memory once the agent has spoken HTTPS (TLS context and CA store loaded): compare with bench/rss.sh.
sleep 2
printf 'agent memory after the refreshes (2 s idle): VmRSS %s KiB, Pss %s KiB, RssAnon %s KiB\n' \
  "$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status")" "$(awk '/^Pss:/ { print $2 }' "/proc/$agent_pid/smaps_rollup")" \
  "$(awk '/^RssAnon:/ { print $2 }' "/proc/$agent_pid/status")"
