#!/usr/bin/env bash
# Agent forwarding over OpenSSH, end to end (docs/agent.md "Remote shells"): a real sshd on 127.0.0.1
# with its own host key and authorized_keys in a temp dir, `ssh -R REMOTE_SOCK:LOCAL_SOCK`, and on the
# "remote" side a client with FLUXLOOP_AGENT_SOCK=REMOTE_SOCK that gets the token of a profile imported
# into the local agent. Usage: ssh_forward_test.sh FLUXLOOP FLUXLOOP_AGENTD (FLUXLOOP_TEST_CLIENT and
# FLUXLOOP_TEST_AGENTD, when set, name other binaries, as for the C++ tests: the ASan stage uses them).
# Exit 77 (ctest: skipped) only when OpenSSH's server is not installed.
set -euo pipefail
client="${FLUXLOOP_TEST_CLIENT:-$1}" agentd="${FLUXLOOP_TEST_AGENTD:-$2}"
sshd=/usr/sbin/sshd
readonly kDeadlineSeconds=20
if [ ! -x "$sshd" ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  echo "SKIP: OpenSSH is not installed (apt-get install openssh-server openssh-client)"
  exit 77
fi

tmp="$(mktemp -d)"
chmod 700 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
# Polls a condition every 50 ms until it holds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + kDeadlineSeconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# ---- the local side: an agent holding a profile ----
export FLUXLOOP_HOME="$tmp/home" FLUXLOOP_AGENT_SOCK="$tmp/local/agent.sock" FLUXLOOP_STORE=file FLUXLOOP_NO_AUTOSTART=1
"$agentd" --foreground --socket "$FLUXLOOP_AGENT_SOCK" >"$tmp/agent.log" 2>&1 &
pids+=($!)
wait_for test -S "$FLUXLOOP_AGENT_SOCK" || fail "the agent did not start"
token="flx_at_forwarded_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
umask 077
printf '{"access_token": "%s", "refresh_token": "", "expires_at": "2099-01-01T00:00:00Z"}\n' "$token" >"$tmp/creds.json"
"$client" auth import "$tmp/creds.json" --profile forwarded >/dev/null 2>&1 || fail "auth import failed"

# ---- a real sshd on loopback ----
mkdir -p /run/sshd 2>/dev/null || true  # privilege separation directory (root)
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
user="$(id -un)"
port=""
for _ in $(seq 20); do
  candidate=$((20000 + RANDOM % 20000))
  cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1:$candidate
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
AllowStreamLocalForwarding yes
# Replace a stale socket left by an earlier session (the server side decides for -R).
StreamLocalBindUnlink yes
AcceptEnv LANG
LogLevel VERBOSE
EOF
  : >"$tmp/sshd.log"
  "$sshd" -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
  pid=$!
  if wait_for grep -q -e "Server listening on 127.0.0.1 port $candidate" -e "Bind to port" -e "fatal" "$tmp/sshd.log" &&
    grep -q "Server listening on 127.0.0.1 port $candidate" "$tmp/sshd.log"; then
    pids+=($pid)
    port=$candidate
    break
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
[ -n "$port" ] || fail "sshd did not start"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/host_key.pub")" >"$tmp/known_hosts"

# A stale file where the forwarded socket goes: StreamLocalBindUnlink must replace it.
remote_sock="$tmp/remote/agent.sock"
mkdir -p "$tmp/remote"
: >"$remote_sock"

ssh_opts=(-F /dev/null -p "$port" -i "$tmp/user_key" -o IdentitiesOnly=yes -o BatchMode=yes
  -o UserKnownHostsFile="$tmp/known_hosts" -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes
  -R "$remote_sock:$FLUXLOOP_AGENT_SOCK")
# On the "remote" side: no FLUXLOOP_HOME or agent of its own, only the forwarded socket. The remote
# command waits (bounded) for the socket, since sshd binds it as the session starts.
remote_cmd="for i in \$(seq 400); do [ -S '$remote_sock' ] && break; sleep 0.05; done;
  FLUXLOOP_AGENT_SOCK='$remote_sock' FLUXLOOP_NO_AUTOSTART=1 '$client' auth token --profile forwarded"
out="$(env -u FLUXLOOP_AGENT_SOCK -u FLUXLOOP_HOME timeout 60 ssh "${ssh_opts[@]}" "$user@127.0.0.1" "$remote_cmd" 2>"$tmp/ssh.log")" ||
  fail "the remote client failed (exit $?)"
[ "$out" = "$token" ] || fail "the remote client printed something else than the local agent's token"

# The local agent saw the connection come from our own uid (the ssh client process), and served it.
# (The audit log is written off the request path: poll for the line.)
audit_line() { grep '"op":"get_token"' "$FLUXLOOP_HOME/audit.log" 2>/dev/null | grep "\"uid\":$(id -u)," | grep -q '"exe":"/usr/bin/ssh"'; }
wait_for audit_line || { cat "$FLUXLOOP_HOME/audit.log" >&2 || true; fail "no get_token by uid $(id -u) from /usr/bin/ssh in the local agent's audit log"; }
echo "PASS: a client on the remote side of ssh -R got the local agent's token"
