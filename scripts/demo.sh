#!/usr/bin/env bash
# The main job: install, build, and run a real agent against the FluxLoop platform emulator on
# loopback (real TLS with a test CA). It logs in the way a FluxLoop user does (CLI connect, zero
# set-up, auto-approved by the emulator), makes a platform API request through the agent, logs in an
# OIDC profile (device flow), imports a sample credentials file, keeps an API key in another profile,
# redacts a line holding a token, and shows what the agent holds.
# The agent and emulator keep running; the script prints how to use and stop them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
# Only what the demo runs, configured as the tests and the package are (scripts/configure.sh), so
# scripts/test.sh then compiles the tests alone.
"$root/scripts/configure.sh" "$root/build"
ninja -C "$root/build" -j"${FLUXLOOP_JOBS:-2}" fluxloop fluxloop-agentd fluxloop-platform
bin="$root/build"
fluxloop="$bin/bin/fluxloop"
demo="${FLUXLOOP_DEMO_DIR:-/tmp/fluxloop-demo}"
mkdir -p "$demo" && chmod 700 "$demo"
export FLUXLOOP_HOME="$demo/home" FLUXLOOP_AGENT_SOCK="$demo/run/agent.sock"
export FLUXLOOP_STORE="${FLUXLOOP_STORE:-file}" FLUXLOOP_CA_BUNDLE="$demo/pki/ca.pem"

# Stop what an earlier run left behind.
"$fluxloop" agent stop 2>/dev/null || true
[ -f "$demo/platform.pid" ] && kill "$(cat "$demo/platform.pid")" 2>/dev/null || true
rm -rf "$demo/home" "$demo/port"

# The platform emulator: HTTPS on 127.0.0.1 with a throw-away CA.
"$root/tests/platform/make-test-ca.sh" "$demo/pki" >/dev/null
"$bin/tests/platform/fluxloop-platform" --cert "$demo/pki/server.pem" --key "$demo/pki/server-key.pem" \
  --port 0 --port-file "$demo/port" --user-email demo@example.com --quiet >"$demo/platform.log" 2>&1 &
echo $! >"$demo/platform.pid"
for _ in $(seq 100); do [ -s "$demo/port" ] && break; sleep 0.05; done
issuer="https://127.0.0.1:$(cat "$demo/port")"

# The agent, detached like `eval $(ssh-agent -s)`.
eval "$("$bin/bin/fluxloop-agentd" --daemon --socket "$FLUXLOOP_AGENT_SOCK")"

run() { echo "+ fluxloop $*"; "$fluxloop" "$@"; }
# Zero set-up, as a FluxLoop user starts: no profile yet, so `auth login` logs in a `fluxloop` profile
# `production` with CLI connect at FLUXLOOP_API_URL (the platform CLI's variable).
export FLUXLOOP_API_URL="$issuer"
run auth login --no-browser
run api GET /api/projects
# An OIDC profile beside it (device flow), which the v1 API-key commands below use.
run profile add oidc --issuer "$issuer" --client-id fluxloop-cli --api-endpoint "$issuer"
run auth login --device --no-browser --profile oidc

# A sample credentials file in the contract's first shape, valid for an hour.
sample="$demo/sample-credentials.json"
umask 077
rand() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
cat >"$sample" <<JSON
{"access_token": "flx_demo_$(rand)", "refresh_token": "flx_refresh_$(rand)",
 "expires_at": "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)", "user_email": "sample@example.com"}
JSON
run auth import "$sample" --profile imported
# Issue 4: an API key kept in the agent, a request made with it, and redaction of held secrets.
run apikeys create --name demo-ci --scope read --store ci --profile oidc
run api GET /v1/me --profile ci
run apikeys list --profile oidc
echo "+ echo \"token=\$(fluxloop auth token) mail=demo@example.com\" | fluxloop redact"
echo "token=$("$fluxloop" auth token) mail=demo@example.com" | "$fluxloop" redact
run auth status
run agent status
echo "+ fluxloop auth token | cut -c1-12"
"$fluxloop" auth token | cut -c1-12

cat <<MSG

The agent (and the emulator at $issuer) are running. To use them from this shell:
  export FLUXLOOP_HOME=$FLUXLOOP_HOME FLUXLOOP_AGENT_SOCK=$FLUXLOOP_AGENT_SOCK
  export PATH=$bin/bin:\$PATH
  fluxloop auth token                      # the access token of the default profile
  fluxloop auth status
  export FLUXLOOP_API_URL=$issuer
  fluxloop api GET /api/projects           # a request the agent makes with the default profile's token
  cat ~/.fluxloop/auth.json                # the platform CLI's login file, kept fresh (no refresh token)
  fluxloop agent lock                       # then: fluxloop agent unlock
  fluxloop agent stop; kill \$(cat $demo/platform.pid)
MSG
