#!/bin/sh
# Where `fluxloop auth token` spends its time on a VM: the distinct pages it touches. On the machines
# these benches ran on, the first touch of a page costs ~5.5 us even when it is mapped and a page fault
# ~11 us (docs/performance.md "auth token before constructors"), so this count, not instructions,
# predicts bench/token.sh. Counts code and data pages (valgrind lackey) of `fluxloop auth token`
# against a warm agent, `cat` of the credentials file, and the page faults of each (perf stat, when
# perf can count them).
#   bench/token_pages.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init "${1:?usage: bench/token_pages.sh BUILD_DIR}"
need "$client" "$agentd"
command -v valgrind >/dev/null || { echo "$0: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

sample_credentials "$tmp/credentials.json" 1
start_agent
"$client" auth import "$tmp/credentials.json" >/dev/null 2>&1
"$client" auth token >/dev/null

# Distinct 4 KiB pages of instructions (I) and of data loads/stores (L, S, M) in a lackey trace.
pages() {
  valgrind --tool=lackey --trace-mem=yes --log-file="$tmp/lackey.txt" "$@" >/dev/null 2>&1
  awk '
    /^==/ { next }
    { kind = substr($0, 1, 2); split(substr($0, 4), a, ","); page = substr(a[1], 1, length(a[1]) - 3) }
    kind == "I " { code[page] = 1; next }
    { data[page] = 1 }
    END { for (p in code) nc++; for (p in data) nd++; printf "code pages %d, data pages %d", nc, nd }' "$tmp/lackey.txt"
}
faults() {
  perf stat -x, -e page-faults -r 20 "$@" 2>&1 >/dev/null | awk -F, '/page-faults/ { printf ", page faults %s", $1 }' || true
}
report() {
  label=$1
  shift
  echo "$label: $(pages "$@")$(command -v perf >/dev/null && faults "$@")"
}
report "fluxloop auth token" "$client" auth token
report "cat credentials.json" cat "$tmp/credentials.json"
