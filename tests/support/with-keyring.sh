#!/bin/sh
# Runs "$@" inside a private D-Bus session with an unlocked gnome-keyring-daemon (a real Secret
# Service), as PLATFORM.md describes. The bus address is exported to the command; each invocation
# gets its own keyring in a throw-away HOME. ("Failed to set fd limit" from dbus-run-session is harmless.)
set -eu
exec dbus-run-session -- sh -c '
  set -eu
  export HOME="$(mktemp -d)"
  trap "rm -rf \"$HOME\"" EXIT
  printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  gdbus wait --session --timeout 10 org.freedesktop.secrets
  "$@"
' with-keyring "$@"
