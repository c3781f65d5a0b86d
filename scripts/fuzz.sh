#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang++-14, ASan+UBSan) into build-fuzz/ and runs each for
# SECONDS (default 20), starting from its seed corpus fuzz/corpus/NAME. Prints one line per target,
#   NAME: N execs, C crashes
# and exits 1 when any target crashed (the input is saved as build-fuzz/artifacts/NAME/crash-*).
#   FLUXLOOP_FUZZ_TARGETS  which targets (default: all)
#   FLUXLOOP_FUZZ_DIR      the build directory (default: build-fuzz)
#   FLUXLOOP_FUZZ_SEED     libFuzzer's -seed (default 0: a random one). CI passes a fixed seed so a run
#                          explores what a longer run with that seed explored before (reproducible).
#   FLUXLOOP_FUZZ_TIMEOUT  seconds one input may take before it counts as a hang (default 60: generous,
#                          a shared CI machine under load stalls a process for seconds)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
dir="${FLUXLOOP_FUZZ_DIR:-$root/build-fuzz}"
all="codec credentials auth_json config http_response oauth_tokens redact duration token_scan"
targets="${FLUXLOOP_FUZZ_TARGETS:-$all}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$dir" -G Ninja -DFLUXLOOP_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" "${launcher[@]}" >/dev/null
ninja -C "$dir" -j"${FLUXLOOP_JOBS:-2}" $(for t in $targets; do echo "fuzz_$t"; done) >/dev/null

status=0
for t in $targets; do
  # New inputs go to a scratch corpus: the committed seeds stay small and reviewed.
  work="$dir/corpus/$t"; artifacts="$dir/artifacts/$t"; log="$dir/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
  rc=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout="${FLUXLOOP_FUZZ_TIMEOUT:-60}" -rss_limit_mb=2048 -max_len=16384 \
      -print_funcs=0 -print_final_stats=1 -seed="${FLUXLOOP_FUZZ_SEED:-0}" -artifact_prefix="$artifacts/" \
      "$work" "$root/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  # A target stops at its first crash (C is 0 or 1); the exec count is in its final stats, or in
  # the last progress line ("#N	NEW …") when it stopped early.
  execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | tr -dc '0-9')
  [ -n "$execs" ] || execs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -dc '0-9')
  crashes=$(find "$artifacts" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if ((crashes == 0 && rc != 0)); then crashes=1; fi  # the fuzzer itself failed: count it, the log says why
  echo "$t: ${execs:-0} execs, $crashes crashes"
  if ((crashes)); then
    status=1
    echo "  log: $log; inputs: $artifacts" >&2
  fi
done
exit $status
