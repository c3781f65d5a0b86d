#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on Debian 12 (run as root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev doctest-dev libcli11-dev
  libssl-dev openssl libsecret-1-dev libqrencode-dev libpcre2-dev libseccomp-dev
  clang-14 libclang-rt-14-dev
  gnome-keyring libsecret-tools dbus dbus-bin libglib2.0-bin systemd
  hyperfine socat curl jq python3 util-linux
  # man pages and the .deb (scripts/package.sh) and what the package stage checks it with
  scdoc gzip dpkg-dev lintian file man-db
  # completion tests in real shells, agent forwarding through a real sshd on loopback
  bash bash-completion zsh fish openssh-server openssh-client
)
# Node.js and npm (for the oidc-provider interop peer): Debian's packages unless a node with its own
# npm is already installed (a nodesource nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
fi
