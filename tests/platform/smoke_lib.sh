# Shared prelude of the emulator smoke tests (sourced; argv: PATH/TO/fluxloop-platform PATH/TO/make-test-ca.sh):
# a 0700 work dir cleaned on exit, the test PKI ($CA), start NAME CERT KEY [ARGS] (sets PORT), and
# call/jpost/form/expect/field/header over curl with secrets in files, never argv.
# shellcheck shell=bash

emu=$1
mkca=$2
for tool in curl jq openssl basenc; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
umask 077

checks=0
# Masks every flx_ secret as flx_…last4 so a failure message never prints one.
mask() { sed -E -e 's/(flx_[a-z]+_)[0-9a-f]{28}([0-9a-f]{4})/\1…\2/g' -e 's/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/eyJ…(JWT)/g'; }
fail() {
  echo "FAIL: $*" | mask >&2
  echo "--- emulator stderr (tail) ---" >&2
  tail -n 20 "$work"/emu*.err >&2 || true
  exit 1
}
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

"$mkca" "$work/ca"
CA=$work/ca/ca.pem

# start NAME CERT KEY [ARGS...]: runs an emulator on port 0 and sets PORT.
start() {
  local name=$1 cert=$2 key=$3
  shift 3
  "$emu" --cert "$cert" --key "$key" --port 0 --port-file "$work/$name.port" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do [[ -s $work/$name.port ]] && break; sleep 0.05; done
  [[ -s $work/$name.port ]] || fail "$name did not write its port file"
  PORT=$(cat "$work/$name.port")
}

# call METHOD PATH [curl args]: sets STATUS, BODY; headers in $work/headers. Uses $AUTH (Bearer) via
# a curl config file and $DATA (request body) via a file, never argv.
AUTH=""
DATA=""
call() {
  local method=$1 path=$2
  shift 2
  local args=(-sS --cacert "$CA" -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}')
  if [[ -n $AUTH ]]; then
    printf 'header = "Authorization: Bearer %s"\n' "$AUTH" >"$work/auth.cfg"
    args+=(-K "$work/auth.cfg")
  fi
  if [[ -n $DATA ]]; then
    printf '%s' "$DATA" >"$work/data"
    args+=(--data-binary "@$work/data")
  fi
  STATUS=$(curl "${args[@]}" "$@" "$BASE$path") || fail "curl $method $path failed"
  BODY=$(cat "$work/body")
}
form() { DATA=$1; call POST "$2" -H 'Content-Type: application/x-www-form-urlencoded'; DATA=""; }
jpost() { DATA=$1; call POST "$2" -H 'Content-Type: application/json'; DATA=""; }
expect() { [[ $STATUS == "$1" ]] || fail "$2: expected HTTP $1, got $STATUS: $BODY"; }
field() { jq -r "$1" <<<"$BODY"; }
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
b64url_decode() { local s=$1; while (( ${#s} % 4 )); do s+="="; done; basenc --base64url -d <<<"$s"; }
