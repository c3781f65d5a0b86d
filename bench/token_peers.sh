#!/bin/sh
# Target 1's second half: `fluxloop auth token` against oidc-agent's `oidc-token`, and `cat`, in one
# hyperfine run. oidc-token asks a private `oidc-agent --no-autoload` for an account that is not
# loaded: its error reply is the cheapest answer it can get (no account to decrypt, no token to check,
# no network), so a client faster than that is faster than any oidc-token that prints a token.
# Needs hyperfine and oidc-agent (apt-get install oidc-agent-cli).
#   bench/token_peers.sh BUILD_DIR        # RUNS=1000
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:?usage: bench/token_peers.sh BUILD_DIR}"
need "$client" "$agentd"
for tool in hyperfine oidc-agent oidc-token; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is not installed (apt-get install hyperfine oidc-agent-cli)" >&2; exit 1; }
done

sample_credentials "$tmp/credentials.json" 1
start_agent
"$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
"$client" auth token >/dev/null

OIDC_SOCK=$tmp/oidc-agent.sock
export OIDC_SOCK
mkdir -p "$tmp/oidc"
OIDC_CONFIG_DIR=$tmp/oidc TMPDIR=$tmp oidc-agent --console --no-autoload --socket-path="$OIDC_SOCK" >"$tmp/oidc.log" 2>&1 &
oidc_pid=$!
bench_pids="$bench_pids $oidc_pid"
i=0
until [ -S "$OIDC_SOCK" ]; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "$0: oidc-agent did not start; its log:" >&2; cat "$tmp/oidc.log" >&2; exit 1; }
  sleep 0.05
done
if oidc-token fluxloop-bench >/dev/null 2>&1; then
  echo "$0: oidc-token printed a token for an account that should not exist" >&2
  exit 1
fi

# -i: oidc-token exits 1 ("account not loaded"); the fluxloop line was checked above.
hyperfine -N -i --warmup 50 --runs "${RUNS:-1000}" --export-json "$tmp/result.json" \
  "$client auth token" "oidc-token fluxloop-bench" "cat $tmp/credentials.json"
pkill -P "$oidc_pid" 2>/dev/null || true  # oidc-agent runs as two processes
python3 - "$tmp/result.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
medians = {r["command"].split()[0].rsplit("/", 1)[-1]: r["median"] * 1000 for r in results}
cat = medians["cat"]
print("\nmedians: " + ", ".join(f"{name} {ms:.3f} ms ({ms / cat:.2f}x cat)" for name, ms in medians.items()))
PY
