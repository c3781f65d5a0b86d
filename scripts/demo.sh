#!/usr/bin/env bash
# The main job: install, build, start a real agent in a private demo home, import a sample
# credentials file, and show what the agent holds. Leaves the agent running and prints how to use it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
bin="$root/build"
demo="${FLUXLOOP_DEMO_DIR:-/tmp/fluxloop-demo}"
mkdir -p "$demo" && chmod 700 "$demo"
export FLUXLOOP_HOME="$demo/home" FLUXLOOP_AGENT_SOCK="$demo/run/agent.sock"
export FLUXLOOP_STORE="${FLUXLOOP_STORE:-file}"
fluxloop="$bin/client/fluxloop"

"$fluxloop" agent stop 2>/dev/null || true
eval "$("$bin/agentd/fluxloop-agentd" --daemon --socket "$FLUXLOOP_AGENT_SOCK")"

# A sample credentials file in the contract's first shape, valid for an hour.
sample="$demo/sample-credentials.json"
expires=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
umask 077
cat >"$sample" <<JSON
{"access_token": "flx_demo_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')",
 "refresh_token": "flx_refresh_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')",
 "expires_at": "$expires", "user_email": "demo@example.com"}
JSON

echo "+ fluxloop auth import $sample --profile production"
"$fluxloop" auth import "$sample" --profile production
echo "+ fluxloop auth status"
"$fluxloop" auth status
echo "+ fluxloop agent status"
"$fluxloop" agent status
cat <<EOF

The agent is running. To use it from this shell:
  export FLUXLOOP_HOME=$FLUXLOOP_HOME FLUXLOOP_AGENT_SOCK=$FLUXLOOP_AGENT_SOCK
  export PATH=$bin/client:$bin/agentd:\$PATH
  fluxloop auth token          # prints the access token
  fluxloop agent stop
EOF
