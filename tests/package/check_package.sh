#!/usr/bin/env bash
# The `package` stage of scripts/test.sh: the .deb that scripts/package.sh built is inspected (contents,
# control fields), linted (lintian --fail-on error), installed on this machine with apt-get (CI's own
# fresh machine: it changes /usr), exercised (versions, man, completions, units, socket activation),
# and removed again with dpkg -r, after which none of its files may remain.
# Usage: tests/package/check_package.sh DEB SOURCE_DIR
set -euo pipefail
deb="$(realpath "$1")" src="$2"
readonly kDeadlineSeconds=20
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
tmp="$(mktemp -d)"
agent_pid=""
installed_here=""
# Leaves the machine as it was, whatever failed: no agent left running, the package removed.
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$installed_here" ] && dpkg -r fluxloop-agent >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

step "control fields"
package="$(dpkg-deb -f "$deb" Package)"
version="$(dpkg-deb -f "$deb" Version)"
arch="$(dpkg-deb -f "$deb" Architecture)"
depends="$(dpkg-deb -f "$deb" Depends)"
cmake_version="$(sed -nE 's/^project\(fluxloop-agent VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")"
[ "$package" = fluxloop-agent ] || fail "package name $package"
[ "${version%-*}" = "$cmake_version" ] || fail "package version $version does not carry the project VERSION $cmake_version"
[ "$(basename "$deb")" = "fluxloop-agent_${version}_${arch}.deb" ] || fail "file name $(basename "$deb")"
echo "Depends: $depends"
for lib in libsecret-1-0 libssl3; do  # the keyring and HTTPS helpers
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib (dpkg-shlibdeps)"
done
# The agent reads LISTEN_FDS and its cgroup itself (docs/performance.md): no libsystemd.
[[ $depends != *libsystemd0* ]] || fail "Depends names libsystemd0: something links libsystemd again"
[[ $depends != *-dev* ]] || fail "Depends names a -dev package"

step "contents"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$tmp/contents"
for path in /usr/bin/fluxloop /usr/bin/fluxloop-agentd \
  /usr/libexec/fluxloop/fluxloop-https-helper /usr/libexec/fluxloop/fluxloop-keyring-helper \
  /usr/lib/systemd/user/fluxloop-agentd.socket /usr/lib/systemd/user/fluxloop-agentd.service \
  /usr/share/man/man1/fluxloop.1.gz /usr/share/man/man1/fluxloop-agentd.1.gz \
  /usr/share/bash-completion/completions/fluxloop /usr/share/zsh/vendor-completions/_fluxloop \
  /usr/share/fish/vendor_completions.d/fluxloop.fish \
  /usr/share/doc/fluxloop-agent/copyright /usr/share/doc/fluxloop-agent/changelog.Debian.gz; do
  grep -qx "$path" "$tmp/contents" || fail "$path is not in the package"
done
if grep -E '/(tests?|bench)/|unit_tests|integration_tests|fluxloop-platform|fluxloop-bench' "$tmp/contents"; then
  fail "test or benchmark files in the package"
fi
dpkg-deb -x "$deb" "$tmp/root"
for binary in bin/fluxloop bin/fluxloop-agentd libexec/fluxloop/fluxloop-https-helper libexec/fluxloop/fluxloop-keyring-helper; do
  file "$tmp/root/usr/$binary" | grep -q ', stripped' || fail "$binary is not stripped"
done
grep -q '^ExecStart=/usr/bin/fluxloop-agentd --foreground$' "$tmp/root/usr/lib/systemd/user/fluxloop-agentd.service" ||
  fail "the service does not start /usr/bin/fluxloop-agentd"

step "lintian"
lintian --fail-on error --display-info "$deb" || fail "lintian reports errors"

step "apt-get install ./$(basename "$deb")"
dpkg -s "$package" >/dev/null 2>&1 && fail "$package is already installed on this machine"
(cd "$(dirname "$deb")" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "./$(basename "$deb")") ||
  fail "apt-get install failed"
installed_here=1
dpkg -s "$package" | grep -q '^Status: install ok installed' || fail "not installed"
for binary in /usr/bin/fluxloop /usr/bin/fluxloop-agentd /usr/libexec/fluxloop/fluxloop-https-helper \
  /usr/libexec/fluxloop/fluxloop-keyring-helper; do
  ! ldd "$binary" 2>&1 | grep -q 'not found' || fail "$binary misses a library"
done
# TLS and the Secret Service live in the helpers (docs/security.md "Helper processes"), not the agent.
! ldd /usr/bin/fluxloop-agentd | grep -Eq 'libssl|libsecret|libglib|libgio|libgobject' ||
  fail "fluxloop-agentd links libssl, libsecret or GLib"

step "versions"
[ "$(/usr/bin/fluxloop --version)" = "fluxloop $cmake_version" ] || fail "fluxloop --version: $(/usr/bin/fluxloop --version)"
[ "$(/usr/bin/fluxloop-agentd --version)" = "fluxloop-agentd $cmake_version" ] || fail "fluxloop-agentd --version"

step "man pages"
[ "$(man -w fluxloop)" = /usr/share/man/man1/fluxloop.1.gz ] || fail "man -w fluxloop: $(man -w fluxloop 2>&1)"
man -w fluxloop-agentd >/dev/null || fail "man -w fluxloop-agentd"
MANWIDTH=120 man fluxloop 2>/dev/null | grep -q 'auth token' || fail "man fluxloop does not show auth token"

step "completions"
got="$(bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/fluxloop
  COMP_WORDS=(fluxloop au); COMP_CWORD=1; _fluxloop; echo "${COMPREPLY[@]}"')"
[ "$got" = auth ] || fail "bash completion of 'fluxloop au' gave '$got'"
if command -v zsh >/dev/null; then zsh -n /usr/share/zsh/vendor-completions/_fluxloop || fail "zsh completion does not parse"; fi
if command -v fish >/dev/null; then
  got="$(fish --no-config -c 'source /usr/share/fish/vendor_completions.d/fluxloop.fish; complete -C"fluxloop au"' | cut -f1)"
  [ "$got" = auth ] || fail "fish completion of 'fluxloop au' gave '$got'"
fi

step "systemd units"
mkdir -m 700 "$tmp/runtime"
XDG_RUNTIME_DIR="$tmp/runtime" systemd-analyze verify --user \
  /usr/lib/systemd/user/fluxloop-agentd.socket /usr/lib/systemd/user/fluxloop-agentd.service || fail "systemd-analyze verify"
XDG_RUNTIME_DIR="$tmp/runtime" systemd-analyze security --user --offline=yes --no-pager \
  /usr/lib/systemd/user/fluxloop-agentd.service | tail -1
# Socket activation as the unit does it, at the client's default path: no FLUXLOOP_AGENT_SOCK needed.
# (systemd-socket-activate passes the agent only the variables named with -E.)
mkdir -m 700 "$tmp/runtime/fluxloop"
systemd-socket-activate -l "$tmp/runtime/fluxloop/agent.sock" --fdname=agent -E FLUXLOOP_HOME="$tmp/home" \
  -E FLUXLOOP_STORE=file /usr/bin/fluxloop-agentd --foreground >"$tmp/agent.log" 2>&1 &
agent_pid=$!
deadline=$((SECONDS + kDeadlineSeconds))
until [ -S "$tmp/runtime/fluxloop/agent.sock" ]; do
  [ $SECONDS -lt $deadline ] || fail "systemd-socket-activate did not listen"
  sleep 0.05
done
status="$(env -u FLUXLOOP_AGENT_SOCK XDG_RUNTIME_DIR="$tmp/runtime" FLUXLOOP_NO_AUTOSTART=1 /usr/bin/fluxloop agent status)" ||
  fail "fluxloop agent status over the activated socket"
grep -q 'systemd socket activation' <<<"$status" || fail "agent status does not say it was socket-activated: $status"
kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""

step "dpkg -r"
dpkg -r "$package" >/dev/null || fail "dpkg -r failed"
installed_here=""
dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' && fail "still installed"
while read -r path; do
  [ -z "$path" ] || [ -d "$path" ] || [ ! -e "$path" ] || fail "$path is left after dpkg -r"
done <"$tmp/contents"
[ ! -e /usr/share/doc/fluxloop-agent ] || fail "/usr/share/doc/fluxloop-agent is left after dpkg -r"
echo "package $package $version ($arch): contents, lintian, install, man, completions, units and removal OK"
