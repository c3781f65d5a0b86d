#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (the README's test command; .ci/run calls it).
# Stages (FLUXLOOP_TEST_STAGES, default "plain asan tsan fuzz package"):
#   plain    the main build (scripts/configure.sh: Release, Debian's hardening flags), the whole suite
#   asan     the sanitized (ASan+UBSan) agent and client under the whole suite (FLUXLOOP_ASAN_TESTS: a
#            ctest -R pattern to run fewer)
#   tsan     TSan build of the agent, the client and the concurrency suite, which it runs
#   fuzz     libFuzzer targets (clang, ASan+UBSan), FLUXLOOP_FUZZ_SECONDS (default 10) each
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
# The sanitized trees are unity builds, four source files to a translation unit: a sanitizer
# compiles the same Asio/JSON headers and templates once per unit, and batching cut the sanitized
# agent's compilation by about 40 % (docs/development.md "CI time"). The plain tree, which is shipped
# and rebuilt by developers, is not. Test files keep their own units (tests/CMakeLists.txt).
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=4)
# ctest's doctest discovery splits names at ';': such a case would run nothing and still pass.
if grep -rnE '(TEST_CASE|SUBCASE)\("[^"]*;' "$root/tests"; then
  echo "test names must not contain ';' (ctest would run zero cases for them)" >&2
  exit 1
fi
for stage in $stages; do
  echo "=== stage: $stage ==="
  case "$stage" in
    plain)
      # Configured as the demo and the package are: the package stage then reuses this compilation.
      "$root/scripts/configure.sh" "$root/build"
      ninja -C "$root/build" -j"${FLUXLOOP_JOBS:-2}"
      # -j4 on two cores: most cases wait on an agent, an emulator or a deadline (ctest -j2 kept the
      # CPUs under half busy). A case that fails is run once more, as in the asan stage: a few wait on
      # wall-clock deadlines of seconds; a failure on both runs fails the stage, the log keeps both.
      ctest --test-dir "$root/build" --output-on-failure -j4 --repeat until-pass:2 || status=1
      ;;
    asan)
      # The sanitized agent and client under the whole suite. Only what runs code under test in-process
      # is compiled sanitized (the agent, the client, unit_tests, keyring_tests); the integration and
      # forwarding cases are the plain stage's drivers, pointed at the sanitized binaries by
      # FLUXLOOP_TEST_AGENTD/FLUXLOOP_TEST_CLIENT (they only spawn them), which saves compiling ~40 test
      # files at ASan's cost. FLUXLOOP_ASAN_TESTS: a ctest -R pattern to run fewer. A case that fails
      # is run once more: the sanitized agent is several times slower, and a few integration cases wait
      # on wall-clock deadlines of seconds. A memory error that shows on every run still fails the
      # stage; the log keeps both runs.
      if [ ! -x "$root/build/tests/integration_tests" ]; then
        echo "the asan stage runs the plain stage's test drivers: run the plain stage first" >&2; exit 2
      fi
      FLUXLOOP_TARGETS="fluxloop fluxloop-agentd unit_tests keyring_tests" \
        "$root/scripts/build.sh" "$root/build-asan" -DFLUXLOOP_BENCH=OFF -DFLUXLOOP_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFLUXLOOP_EMULATOR="$root/build/tests/platform/fluxloop-platform" "${unity[@]}"
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      # -j3: the cases wait on processes about a sixth of the time (-j2: 404 s, -j3: 347 s, same cases).
      asan_run=(--output-on-failure -j3 -R "${FLUXLOOP_ASAN_TESTS:-.}" --repeat until-pass:2)
      ctest --test-dir "$root/build-asan" "${asan_run[@]}" -E '^(integration|forwarding)|^platform[.]' \
        --no-tests=ignore || status=1
      FLUXLOOP_TEST_AGENTD="$root/build-asan/bin/fluxloop-agentd" FLUXLOOP_TEST_CLIENT="$root/build-asan/bin/fluxloop" \
        ctest --test-dir "$root/build" "${asan_run[@]}" -E '^(unit|keyring)|^platform[.]' --no-tests=ignore || status=1
      unset ASAN_OPTIONS UBSAN_OPTIONS
      ;;
    tsan)
      # Only what the concurrency suite runs: the agent, the client and concurrency_tests (its two
      # files; tests/CMakeLists.txt defines it in TSan trees only).
      FLUXLOOP_TARGETS="fluxloop fluxloop-agentd concurrency_tests" \
        "$root/scripts/build.sh" "$root/build-tsan" -DFLUXLOOP_BENCH=OFF -DFLUXLOOP_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFLUXLOOP_EMULATOR="$root/build/tests/platform/fluxloop-platform" "${unity[@]}"
      TSAN_OPTIONS="halt_on_error=1 suppressions=$root/tests/tsan.supp" \
        ctest --test-dir "$root/build-tsan" --output-on-failure -j2 -L concurrency || status=1
      ;;
    fuzz)
      # A fixed seed: CI replays the start of what a longer run with that seed already explored, so a
      # red CI means a regression, not the luck of a random seed. Long runs use random seeds.
      FLUXLOOP_FUZZ_SEED="${FLUXLOOP_FUZZ_SEED:-1}" "$root/scripts/fuzz.sh" "${FLUXLOOP_FUZZ_SECONDS:-10}" || status=1
      ;;
    package)
      # After the plain stage, package what it compiled (same configuration) instead of compiling again.
      package_env=()
      [[ " $stages " == *" plain "* ]] && package_env=(FLUXLOOP_PACKAGE_BUILD_DIR="$root/build" FLUXLOOP_PACKAGE_REUSE=1)
      if env "${package_env[@]}" "$root/scripts/package.sh"; then
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
