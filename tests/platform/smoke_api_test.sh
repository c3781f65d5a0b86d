#!/bin/bash
# Smoke test of the emulator's FluxLoop-platform surface (/api: CLI connect, /api/me, projects,
# project-scoped API keys) with an independent client (curl + jq), real TLS with the test CA.
# Usage: smoke_api_test.sh PATH/TO/fluxloop-platform PATH/TO/make-test-ca.sh
set -euo pipefail

. "$(dirname "$0")/smoke_lib.sh"
start emu "$work/ca/server.pem" "$work/ca/server-key.pem"
BASE=https://127.0.0.1:$PORT

UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
detail_is() { [[ $(field '.detail|type') == "$1" ]] || fail "$2: not a FastAPI {\"detail\"} error: $BODY"; }
config() { jpost "$1" /_emulator/config; expect 200 "config $1"; }
stat() { call GET /_emulator/stats; field ".$1"; }

# ---- CLI connect: start, both spellings ----
call GET /api/cli-connect/start
expect 405 "GET start"
jpost '{}' /api/cli-connect/start
expect 200 start
[[ $(field .device_code) =~ ^[0-9a-f]{32}$ && $(field .user_code) =~ ^[A-Z]{4}-[A-Z]{4}$ &&
   $(field .verification_url) == "$BASE/cli-connect?user_code=$(field .user_code)" &&
   $(field .expires_in) == 600 && $(field .interval) == 1 && $(field .interval_sec) == null ]] || fail "start: $BODY"
config '{"cli_connect_spelling": "sec", "cli_connect_interval": 2, "cli_connect_lifetime": 30}'
jpost '' /api/cli-connect/start
expect 200 "start (empty body)"
[[ $(field .expires_in_sec) == 30 && $(field .interval_sec) == 2 && $(field .interval) == null &&
   $(field .expires_in) == null ]] || fail "start, sec spelling: $BODY"
jpost '{"cli_connect_spelling": "bogus"}' /_emulator/config
expect 400 "unknown spelling"
config '{"cli_connect_spelling": "plain", "cli_connect_interval": 1, "cli_connect_lifetime": 600}'
ok "start: device_code, user_code, verification_url; expires_in/interval or expires_in_sec/interval_sec by knob"

# ---- complete: pending, too fast counted (answered normally), approval by hand, credential ----
config '{"cli_connect_auto_approve": false}'
jpost '{}' /api/cli-connect/start
DC=$(field .device_code); UC=$(field .user_code)
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
expect 200 "first poll"
[[ $(field .status) == pending ]] || fail "first poll: $BODY"
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
expect 200 "a too-fast poll is still answered"
[[ $(field .status) == pending && $(stat too_fast_polls) == 1 ]] || fail "too fast poll: $BODY"
call GET /_emulator/cli-connect
[[ $(field ".logins[]|select(.user_code==\"$UC\")|.too_fast_polls") == 1 ]] || fail "per-login too_fast_polls: $BODY"
jpost '{}' /api/cli-connect/complete
expect 422 "complete without device_code"
[[ $(field '.detail[0].loc|join(".")') == body.device_code ]] || fail "422 detail: $BODY"
jpost '{"device_code": "nope"}' /api/cli-connect/complete
expect 404 "unknown device code"
detail_is string "unknown device code"
jpost "{\"user_code\": \"$(tr -d - <<<"${UC,,}")\"}" /_emulator/cli-connect/approve
expect 200 "approve (case and dash ignored)"
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
expect 200 approved
AT=$(field .credential.access_token); RT=$(field .credential.refresh_token); USER_ID=$(field .credential.user_id)
[[ $(field .status) == approved && $AT =~ ^flx_at_ && $RT =~ ^flx_refresh_ && $USER_ID =~ $UUID4 &&
   $(field .credential.user_email) == user@example.com &&
   $(field .credential.expires_at) =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
  fail "approved credential: $BODY"
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
expect 404 "a consumed device code"
ok "complete: pending, a too-fast poll counted but answered pending, 422/404 FastAPI errors, approve by hand, credential with UUID user_id, code used once"

# ---- deny, expire, auto-approve, auto-deny ----
jpost '{}' /api/cli-connect/start; DC=$(field .device_code)
jpost '{}' /_emulator/cli-connect/deny
expect 200 "deny every pending login"
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
[[ $STATUS == 200 && $(field .status) == denied ]] || fail "denied: $STATUS $BODY"
jpost '{}' /api/cli-connect/start; DC=$(field .device_code); UC=$(field .user_code)
jpost "{\"user_code\": \"$UC\"}" /_emulator/cli-connect/expire
expect 200 expire
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
[[ $STATUS == 200 && $(field .status) == expired ]] || fail "expired: $STATUS $BODY"
jpost '{}' /_emulator/cli-connect/approve
expect 404 "approve with nothing pending"
config '{"cli_connect_auto_approve": true, "cli_connect_interval": 0}'
jpost '{}' /api/cli-connect/start; DC=$(field .device_code)
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
[[ $(field .status) == pending ]] || fail "auto-approve, first poll: $BODY"
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
[[ $(field .status) == approved ]] || fail "auto-approve, second poll: $BODY"
config '{"cli_connect_deny": true}'
jpost '{}' /api/cli-connect/start; DC=$(field .device_code)
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
jpost "{\"device_code\": \"$DC\"}" /api/cli-connect/complete
[[ $(field .status) == denied ]] || fail "auto-deny: $BODY"
config '{"cli_connect_deny": false, "cli_connect_interval": 1}'
ok "denied, expired (knob), auto-approve after one pending poll, auto-deny knob"

# ---- /api/me, projects ----
AUTH=$AT call GET /api/me
expect 200 "/api/me"
[[ $(field .id) == "$USER_ID" && $(field .user_id) == "$USER_ID" && $(field .email) == user@example.com &&
   $(field .credential) == cli_connect ]] || fail "/api/me: $BODY"
call GET /api/me
expect 401 "no credential"
[[ $(field .detail) == "Not authenticated" && $(header WWW-Authenticate) == Bearer ]] || fail "401: $BODY"
AUTH=flx_at_0000 call GET /api/projects
expect 401 "unknown token"
detail_is string "unknown token"
AUTH=$AT call GET /api/projects
expect 200 "projects"
PROJECT=$(field '.[0].id')
[[ $(field 'type') == array && $PROJECT =~ $UUID4 && $(field '.[0].name') == "Demo project" &&
   $(field '.[0].status') == active ]] || fail "projects: $BODY"
config '{"api_list_shape": "object"}'
AUTH=$AT call GET /api/projects
[[ $(field '.projects[0].id') == "$PROJECT" ]] || fail "projects, object shape: $BODY"
AUTH=$AT call GET "/api/projects/$PROJECT"
[[ $STATUS == 200 && $(field .id) == "$PROJECT" ]] || fail "one project: $STATUS $BODY"
AUTH=$AT call GET /api/projects/00000000-0000-4000-8000-000000000000
expect 404 "unknown project"
detail_is string "unknown project"
jpost '{"name": "Seeded", "id": "6c1f0d5e-1111-4222-8333-444455556666"}' /_emulator/projects
expect 200 "seed a project"
AUTH=$AT call GET /api/projects
[[ $(field '.projects|length') == 2 ]] || fail "seeded project listed: $BODY"
config '{"api_list_shape": "array"}'
ok "/api/me (id = user_id), 401 Not authenticated, projects as array or {projects}, one project, 404 detail, seeding"

# ---- project-scoped API keys: three answer shapes, list, delete, UUID ids ----
keys=()
for shape in key api_key api_key_object api_key_data; do
  config "{\"api_key_shape\": \"$shape\"}"
  AUTH=$AT jpost "{\"project_id\": \"$PROJECT\", \"name\": \"k-$shape\"}" /api/api-keys
  expect 201 "create ($shape)"
  case $shape in
    key) value=$(field .key); id=$(field .id) ;;
    api_key) value=$(field .api_key); id=$(field .id) ;;
    api_key_object) value=$(field .api_key.key); id=$(field .api_key.id) ;;
    api_key_data) value=$(field .api_key_data.key); id=$(field .api_key_data.id) ;;
  esac
  [[ $value =~ ^flx_api_[0-9a-f]{32}$ && $id =~ $UUID4 ]] || fail "create ($shape): $BODY"
  keys+=("$id")
done
KEY=$value; KEY_ID=$id
config '{"api_key_shape": "key"}'
AUTH=$AT jpost "{\"project_id\": \"$PROJECT\", \"name\": \"sa\", \"scope\": \"admin\", \"type\": \"service-account\"}" /api/api-keys
[[ $STATUS == 201 && $(field .scope) == admin && $(field .type) == service-account && $(field .key) =~ ^flx_sa_ ]] ||
  fail "scope and type: $STATUS $BODY"
keys+=("$(field .id)")
AUTH=$AT jpost "{\"project_id\": \"$PROJECT\"}" /api/api-keys
expect 422 "create without name"
AUTH=$AT jpost '{"project_id": "00000000-0000-4000-8000-000000000000", "name": "x"}' /api/api-keys
expect 404 "create for an unknown project"
AUTH=$AT call GET /api/api-keys
expect 422 "list without project_id"
[[ $(field '.detail[0].loc|join(".")') == query.project_id ]] || fail "list 422: $BODY"
AUTH=$AT call GET "/api/api-keys?project_id=$PROJECT"
expect 200 list
[[ $(field 'type') == array && $(field '[.[].id]|sort|join(",")') == "$(printf '%s\n' "${keys[@]}" | sort | paste -sd,)" &&
   $(field "[.[].project_id]|unique|join(\",\")") == "$PROJECT" ]] || fail "list: $BODY"
grep -q "$KEY" <<<"$BODY" && fail "the list shows a key value"
AUTH=$KEY call GET /api/me
[[ $STATUS == 200 && $(field .credential) == api_key ]] || fail "API key on /api/me: $STATUS $BODY"
AUTH=$KEY call GET "/api/api-keys?project_id=$PROJECT"
expect 403 "an API key managing keys"
detail_is string "key managing keys"
AUTH=$AT call DELETE "/api/api-keys/$KEY_ID"
expect 204 "delete"
AUTH=$AT call DELETE "/api/api-keys/$KEY_ID"
expect 404 "delete again"
AUTH=$KEY call GET /api/me
expect 401 "a deleted key"
detail_is string "deleted key"
config '{"v1_key_ids": "uuid"}'
AUTH=$AT jpost '{"name": "v1"}' /v1/api-keys
[[ $STATUS == 201 && $(field .id) =~ $UUID4 ]] || fail "/v1 key with a UUID id: $STATUS $BODY"
config '{"v1_key_ids": "key"}'
ok "API keys: key / api_key / api_key.key / api_key_data.key, scope+type, 422/404, list by project (no values), 403 for keys, delete 204 then 404 and 401; /v1 UUID ids by knob"

# ---- refresh: rotation, reuse revokes the whole login; expires_at formats ----
jpost "{\"refresh_token\": \"$RT\"}" /api/cli-connect/refresh
expect 200 refresh
AT2=$(field .credential.access_token); RT2=$(field .credential.refresh_token)
[[ $RT2 =~ ^flx_refresh_ && $RT2 != "$RT" && $AT2 != "$AT" && $(field .credential.user_id) == "$USER_ID" ]] ||
  fail "refresh: $BODY"
AUTH=$AT call GET /api/me
expect 200 "the old access token lives until it expires"
jpost "{\"refresh_token\": \"$RT\"}" /api/cli-connect/refresh
expect 401 "reuse of a rotated refresh token"
detail_is string "reuse"
[[ $(stat refresh_token_reuse) == 1 && $(stat cli_connect_refresh_token_reuse) == 1 ]] || fail "reuse counters"
AUTH=$AT2 call GET /api/me
expect 401 "the login is revoked after reuse"
jpost "{\"refresh_token\": \"$RT2\"}" /api/cli-connect/refresh
expect 401 "the newest refresh token died with the login"
jpost '{}' /api/cli-connect/refresh
expect 422 "refresh without refresh_token"
jpost '{"client_id": "x"}' /_emulator/tokens
jpost "{\"refresh_token\": \"$(field .refresh_token)\"}" /api/cli-connect/refresh
expect 401 "an OAuth refresh token is not a CLI-connect one"
config '{"cli_connect_expires_at": "python"}'
jpost '{"email": "py@example.com"}' /_emulator/cli-connect/tokens
[[ $(field .expires_at) =~ ^20[0-9-]{8}T[0-9:]{8}\.[0-9]{6}\+00:00$ && $(field .user_email) == py@example.com ]] ||
  fail "python expires_at: $BODY"
config '{"cli_connect_expires_at": "omit"}'
jpost "{\"refresh_token\": \"$(field .refresh_token)\"}" /api/cli-connect/refresh
[[ $STATUS == 200 && $(field .credential.expires_at) == null && $(field .credential.access_token) =~ ^flx_at_ ]] ||
  fail "omitted expires_at: $BODY"
config '{"cli_connect_expires_at": "z"}'
ok "refresh rotates; reuse answers 401 and revokes the whole login (counted); 422; OAuth tokens refused; expires_at z/python/omit"

# ---- expired tokens and faults under /api ----
jpost '{}' /_emulator/cli-connect/tokens; AT=$(field .access_token)
jpost '{}' /_emulator/expire-all
AUTH=$AT call GET /api/projects
expect 401 "expired token"
[[ $(field .detail) == "Token has expired" && $(stat expired_token_used) == 1 ]] || fail "expired token: $BODY"
jpost '{}' /_emulator/cli-connect/tokens; AT=$(field .access_token)
jpost '{"kind": "503", "count": 2, "retry_after": 3, "path_prefix": "/api/"}' /_emulator/faults
for i in 1 2; do
  AUTH=$AT call GET /api/projects
  [[ $STATUS == 503 && $(header Retry-After) == 3 ]] || fail "fault $i: $STATUS"
  detail_is string "fault $i"
done
AUTH=$AT call GET /api/projects
expect 200 "after the faults"
jpost '{"kind": "delay", "delay_ms": 300, "path_prefix": "/api/cli-connect/"}' /_emulator/faults
start_ns=$(date +%s%N)
jpost '{}' /api/cli-connect/start
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
[[ $STATUS == 200 && $elapsed_ms -ge 300 ]] || fail "delay fault: HTTP $STATUS after $elapsed_ms ms"
ok "expired token: 401 'Token has expired', counted in expired_token_used; 503 + Retry-After x2 with {detail}; delay"

call GET /_emulator/stats
[[ $(field .cli_connect_starts) -ge 9 && $(field .cli_connect_polls) -ge 10 && $(field .cli_connect_refreshes_succeeded) == 2 &&
   $(field .platform_api_requests) -ge 20 ]] || fail "stats: $BODY"
if grep -Eq 'flx_(at|refresh|api|sa)_[0-9a-f]{8}' "$work"/*.err "$work"/*.out; then fail "a secret reached the emulator's output"; fi
grep -q 'POST /api/cli-connect/refresh 200' "$work/emu.err" || fail "request log lacks the /api lines"
ok "stats; the request log has /api lines and no secret"
echo "PASS: $checks checks"
