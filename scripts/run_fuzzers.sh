#!/usr/bin/env bash
# run_fuzzers.sh: builds the libFuzzer targets of tests/fuzz in build-fuzz (clang, sanitizers)
# and runs each for its SECONDS on a copy of its seed corpus. Fails on any crash, leak, timeout
# or out-of-memory finding; the input that caused it is left in build-fuzz/artifacts/.
#
#   scripts/run_fuzzers.sh            every target
#   scripts/run_fuzzers.sh config     only the named targets
#   MNEMO_FUZZ_SECONDS=5 scripts/run_fuzzers.sh   override every target's time
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MNEMO_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${MNEMO_JOBS:-2}"

echo "== building the fuzz targets in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DMNEMO_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target mnemo_fuzz_all

ARTIFACTS="$BUILD/artifacts"
mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d /tmp/mnemo-fuzz-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

failed=()
while read -r name seconds corpus; do
  [[ -z "$name" ]] && continue
  if (($# > 0)) && [[ " $* " != *" $name "* ]]; then continue; fi
  seconds="${MNEMO_FUZZ_SECONDS:-$seconds}"
  # The fuzzer adds what it finds to its first corpus directory: a copy, so that the seeds in
  # the repository stay as they are.
  mkdir -p "$WORK/$name"
  if [[ -d "$corpus" ]]; then cp -r "$corpus/." "$WORK/$name/"; fi
  echo "== fuzzing $name for ${seconds}s ($(ls "$WORK/$name" | wc -l) seeds)"
  if ! "$BUILD/fuzz/${name}_fuzz" "$WORK/$name" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/${name}-" \
      >"$WORK/$name.log" 2>&1; then
    tail -n 60 "$WORK/$name.log"
    echo "== $name: FAILED (input in $ARTIFACTS/)"
    failed+=("$name")
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$WORK/$name.log" | tr '\n' ' '
    echo
  fi
done <"$BUILD/fuzz/fuzz_targets.txt"

if ((${#failed[@]})); then
  echo "== fuzzing found problems in: ${failed[*]}"
  exit 1
fi
echo "== every fuzz target ran clean"
