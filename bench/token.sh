#!/bin/sh
# Start-up cost of `fluxloop auth token` against a warm agent, next to `cat` of a small file.
# Builds nothing: pass a build directory that holds bin/fluxloop and bin/fluxloop-agentd.
#   bench/token.sh build            # default runs: 2000 (after 50 warm-up runs)
#   RUNS=500 bench/token.sh build
set -eu

build=${1:?usage: bench/token.sh BUILD_DIR}
build=$(cd "$build" && pwd)
client=$build/bin/fluxloop
agentd=$build/bin/fluxloop-agentd
runs=${RUNS:-2000}
for bin in "$client" "$agentd"; do
  [ -x "$bin" ] || { echo "bench/token.sh: $bin not found; build the fluxloop and fluxloop-agentd targets first" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "bench/token.sh: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fluxloop-bench-XXXXXX")
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A private agent: temp home, file store, its own socket; no autostart, no stray credentials.
# HOME too: the agent's CLI bridge keeps $HOME/.fluxloop/auth.json, which a real agent of the user
# (or another bench) also owns; sharing it makes one agent log the other's profile out.
export HOME=$tmp
export FLUXLOOP_HOME=$tmp/home FLUXLOOP_AGENT_SOCK=$tmp/run/agent.sock FLUXLOOP_STORE=file FLUXLOOP_NO_AUTOSTART=1
unset FLUXLOOP_TOKEN FLUXLOOP_API_KEY FLUXLOOP_PROFILE
mkdir -m 700 "$FLUXLOOP_HOME"

# A sample credentials file (made-up tokens, valid far into the future): also the file `cat` reads.
sample=$tmp/credentials.json
umask 077
printf '{"access_token": "flx_bench_%s", "refresh_token": "flx_refresh_bench_%s", "expires_at": "2099-01-01T00:00:00Z", "user_email": "bench@example.com"}\n' \
  "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$sample"

"$agentd" --foreground >"$tmp/agent.log" 2>&1 &
agent_pid=$!
i=0
until "$client" agent status >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -lt 200 ] || { echo "bench/token.sh: the agent did not start; its log:" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  sleep 0.05
done
"$client" auth import "$sample" >/dev/null 2>&1
"$client" auth token >/dev/null  # fails the script (set -e) if no token comes back

# CAT_FIRST=1 runs cat first (bench/token_rounds.sh alternates, so a drift of the machine's speed during
# a round does not favour the command that runs first).
if [ "${CAT_FIRST:-0}" = 1 ]; then
  hyperfine -N --warmup 50 --runs "$runs" --export-json "$tmp/result.json" "cat $sample" "$client auth token"
else
  hyperfine -N --warmup 50 --runs "$runs" --export-json "$tmp/result.json" "$client auth token" "cat $sample"
fi

# Means on a shared machine are dominated by outliers; the medians are the comparison that matters.
if command -v python3 >/dev/null; then
  python3 - "$tmp/result.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
medians = {r["command"].split()[0].rsplit("/", 1)[-1]: r["median"] * 1000 for r in results}
token, cat = medians["fluxloop"], medians["cat"]
print(f"\nmedian: fluxloop auth token {token:.3f} ms, cat {cat:.3f} ms, ratio {token / cat:.2f}x")
PY
fi
