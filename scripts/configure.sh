#!/usr/bin/env bash
# Configures the main build DIR (default: build) as the package is built: Release with Debian's
# hardening flags (what dpkg-buildpackage passes: fortify, stack protector, relro, now), no debug info,
# prefix /usr, man pages required. scripts/demo.sh, the plain stage of scripts/test.sh and
# scripts/package.sh all configure this way, so one compilation serves the demo, the tests and the
# .deb. Extra arguments go to cmake (package.sh adds -DBUILD_TESTING=OFF).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/build}"; shift || true
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
# No debug info: the package ships stripped binaries and no -dbgsym package; -g also costs build time.
cxxflags="$(printf '%s\n' "$cxxflags" | sed -E 's/(^| )-g( |$)/ /g')"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$dir" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_INSTALL_PREFIX=/usr -DFLUXLOOP_REQUIRE_DOCS=ON "$@" >/dev/null
