#!/usr/bin/env bash
# Configures and builds into DIR (default: build) with any extra CMake arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/build}"; shift || true
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
# FLUXLOOP_TARGETS: build only these targets (default: everything).
ninja -C "$dir" -j"${FLUXLOOP_JOBS:-2}" ${FLUXLOOP_TARGETS:-}
