#!/usr/bin/env bash
# Builds dist/fluxloop-agent_<version>_<arch>.deb from this source tree (a clean clone is enough):
# a Release build of the two programs only (no tests, no benchmarks) with Debian's hardening flags
# (scripts/configure.sh),
# packaged by CPack's DEB generator, which strips the binaries and runs dpkg-shlibdeps to compute
# Depends. docs/packaging.md explains the layout and the choice of CPack.
#   scripts/package.sh                 # then: apt-get install ./dist/fluxloop-agent_*.deb
# Environment: FLUXLOOP_PACKAGE_BUILD_DIR (default build-package), FLUXLOOP_PACKAGE_REUSE (below),
# FLUXLOOP_JOBS (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FLUXLOOP_PACKAGE_BUILD_DIR:-$root/build-package}"
dist="$root/dist"

for tool in cmake ninja cpack dpkg-shlibdeps dpkg-buildflags scdoc gzip; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

# FLUXLOOP_PACKAGE_REUSE=1: $build is already configured by scripts/configure.sh and built (the plain
# stage of scripts/test.sh, tests included): package what it built instead of compiling again.
if [ "${FLUXLOOP_PACKAGE_REUSE:-0}" != 1 ]; then
  "$root/scripts/configure.sh" "$build" -DBUILD_TESTING=OFF -DFLUXLOOP_BENCH=OFF
fi
ninja -C "$build" -j"${FLUXLOOP_JOBS:-2}"
(cd "$build" && cpack -G DEB >/dev/null)

mkdir -p "$dist"
rm -f "$dist"/fluxloop-agent_*.deb
mv "$build"/fluxloop-agent_*.deb "$dist/"
ls "$dist"/fluxloop-agent_*.deb
