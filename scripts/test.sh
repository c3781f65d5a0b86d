#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (the README's test command; .ci/run calls it).
# Stages (FLUXLOOP_TEST_STAGES, default "plain asan tsan fuzz package"):
#   plain    RelWithDebInfo build, the whole ctest suite
#   asan     ASan+UBSan build, the unit tests (FLUXLOOP_ASAN_TESTS=. for the whole suite)
#   tsan     TSan build, the agent's concurrency tests
#   fuzz     libFuzzer targets (clang, ASan+UBSan), FLUXLOOP_FUZZ_SECONDS (default 15) each
#   package  scripts/package.sh, then the .deb inspected, linted, installed on this machine with apt-get,
#            exercised and removed (tests/package/check_package.sh; docs/packaging.md)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stages="${FLUXLOOP_TEST_STAGES:-plain asan tsan fuzz package}"
"$root/scripts/install-deps.sh"
# The interop peer (oidc-provider) comes from the npm registry, pinned by package-lock.json.
if [ -f "$root/tests/interop/package-lock.json" ]; then
  (cd "$root/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
fi
started=$SECONDS
status=0
# ctest's doctest discovery splits names at ';': such a case would run nothing and still pass.
if grep -rnE '(TEST_CASE|SUBCASE)\("[^"]*;' "$root/tests"; then
  echo "test names must not contain ';' (ctest would run zero cases for them)" >&2
  exit 1
fi
for stage in $stages; do
  echo "=== stage: $stage ==="
  case "$stage" in
    plain)
      "$root/scripts/build.sh" "$root/build"
      ctest --test-dir "$root/build" --output-on-failure -j2 || status=1
      ;;
    asan)
      # FLUXLOOP_ASAN_TESTS: a ctest -R pattern. For now the unit tests only (the whole core library
      # in-process, sanitized): the integration suite of the merged issue 10/11/12 work has not yet been
      # run under ASan, and restoring it ('.') is the next step (see the stop note). Build only what runs.
      asan_tests="${FLUXLOOP_ASAN_TESTS:-^unit:}"
      targets="unit_tests"
      [ "$asan_tests" = "^unit:" ] || targets=""
      FLUXLOOP_TARGETS="$targets" \
        "$root/scripts/build.sh" "$root/build-asan" -DFLUXLOOP_BENCH=OFF -DFLUXLOOP_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFLUXLOOP_EMULATOR="$root/build/tests/platform/fluxloop-platform"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "$root/build-asan" --output-on-failure -j2 -R "$asan_tests" || status=1
      ;;
    tsan)
      # Only what the concurrency tests run: the agent, the client and the two test binaries.
      FLUXLOOP_TARGETS="fluxloop fluxloop-agentd unit_tests integration_tests" \
        "$root/scripts/build.sh" "$root/build-tsan" -DFLUXLOOP_BENCH=OFF -DFLUXLOOP_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFLUXLOOP_EMULATOR="$root/build/tests/platform/fluxloop-platform"
      TSAN_OPTIONS="halt_on_error=1 suppressions=$root/tests/tsan.supp" \
        ctest --test-dir "$root/build-tsan" --output-on-failure -j2 -L concurrency || status=1
      ;;
    fuzz)
      # A fixed seed: CI replays the start of what a longer run with that seed already explored, so a
      # red CI means a regression, not the luck of a random seed. Long runs use random seeds.
      FLUXLOOP_FUZZ_SEED="${FLUXLOOP_FUZZ_SEED:-1}" "$root/scripts/fuzz.sh" "${FLUXLOOP_FUZZ_SECONDS:-15}" || status=1
      ;;
    package)
      if "$root/scripts/package.sh"; then
        "$root/tests/package/check_package.sh" "$(ls "$root"/dist/fluxloop-agent_*.deb)" "$root" || status=1
      else
        status=1
      fi
      ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
  echo "=== stage $stage done after $((SECONDS - started)) s ==="
done
exit $status
