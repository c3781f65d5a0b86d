#!/usr/bin/env bash
# Builds dist/fluxloop-agent_<version>_<arch>.deb from this source tree (a clean clone is enough):
# a Release build of the two programs only (no tests, no benchmarks) with Debian's hardening flags,
# packaged by CPack's DEB generator, which strips the binaries and runs dpkg-shlibdeps to compute
# Depends. docs/packaging.md explains the layout and the choice of CPack.
#   scripts/package.sh                 # then: apt-get install ./dist/fluxloop-agent_*.deb
# Environment: FLUXLOOP_PACKAGE_BUILD_DIR (default build-package), FLUXLOOP_JOBS (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FLUXLOOP_PACKAGE_BUILD_DIR:-$root/build-package}"
dist="$root/dist"

for tool in cmake ninja cpack dpkg-shlibdeps dpkg-buildflags scdoc gzip; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

# Debian's hardening flags (what dpkg-buildpackage would pass): fortify, stack protector, relro, now.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
# No debug info: the package ships stripped binaries and no -dbgsym package.
cxxflags="$(printf '%s\n' "$cxxflags" | sed -E 's/(^| )-g( |$)/ /g')"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S "$root" -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF -DFLUXLOOP_BENCH=OFF -DFLUXLOOP_REQUIRE_DOCS=ON >/dev/null
ninja -C "$build" -j"${FLUXLOOP_JOBS:-2}"
(cd "$build" && cpack -G DEB >/dev/null)

mkdir -p "$dist"
rm -f "$dist"/fluxloop-agent_*.deb
mv "$build"/fluxloop-agent_*.deb "$dist/"
ls "$dist"/fluxloop-agent_*.deb
