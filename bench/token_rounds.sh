#!/bin/sh
# Target 1, robust on a shared machine: runs bench/token.sh ROUNDS times (RUNS runs of each command per
# round, a fresh agent each round, the order of the two commands alternating) and reports the median of the per-round medians and ratios, so a
# burst of load during one round cannot decide the verdict.
#   bench/token_rounds.sh BUILD_DIR            # ROUNDS=5 RUNS=1000
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=${1:?usage: bench/token_rounds.sh BUILD_DIR}
rounds=${ROUNDS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fluxloop-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "rounds=$rounds runs=${RUNS:-1000} loadavg=$(loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
  # Odd rounds run fluxloop first, even rounds cat first.
  line=$(CAT_FIRST=$(((r + 1) % 2)) RUNS=${RUNS:-1000} "$here/token.sh" "$build" 2>&1 | grep '^median:') ||
    { echo "$0: bench/token.sh failed" >&2; exit 1; }
  echo "round $r ($(loadavg)): ${line#median: }"
  # "median: fluxloop auth token 0.822 ms, cat 0.991 ms, ratio 0.83x"
  echo "$line" | awk '{ print $5 }' >>"$tmp/token.txt"
  echo "$line" | awk '{ print $8 }' >>"$tmp/cat.txt"
  echo "$line" | awk '{ sub("x", "", $11); print $11 }' >>"$tmp/ratio.txt"
  r=$((r + 1))
done
ratio=$(median <"$tmp/ratio.txt")
echo "median of $rounds rounds: fluxloop auth token $(median <"$tmp/token.txt") ms, cat $(median <"$tmp/cat.txt") ms, ratio ${ratio}x"
awk -v r="$ratio" 'BEGIN { printf "target 1 (faster than cat, ratio < 1): %s\n", (r < 1 ? "met" : "NOT met") }'
