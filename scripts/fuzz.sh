#!/usr/bin/env bash
# Runs every cargo fuzz target (fuzz/fuzz_targets) for a while, seeded from
# fuzz/seeds and the repository's test fixtures; fails on the first crash.
#
#   ./scripts/fuzz.sh                 # each target 20 s (the test command's smoke run)
#   MATTERBOX_FUZZ_SECONDS=600 ./scripts/fuzz.sh [TARGET…]   # a longer run
#   ./scripts/fuzz.sh --build-only    # only build the targets (the test command
#                                     # builds them beside the other tests)
#
# The machine's stable Rust builds the targets: with `--sanitizer none`
# cargo fuzz passes only stable compiler options (coverage counters for
# libFuzzer). A crash leaves its input in fuzz/artifacts/<target>/; make it
# a regression test. Every target runs even when one fails, so one run
# reports every crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${MATTERBOX_FUZZ_SECONDS:-20}"
build_only=false
if [ "${1:-}" = "--build-only" ]; then
  build_only=true
  shift
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
# cargo fuzz's one code unit per crate: with 16 (a cold build minutes
# shorter), `extract_text` died of SIGSEGV on its seeds, as it did with an
# unoptimised profile. Build and run use the same options, or the run
# would build again.
options=(--sanitizer none --release)
cargo fuzz build "${options[@]}"
$build_only && exit 0
# Targets run side by side, one per core: each libFuzzer run is one thread.
jobs=$(nproc 2>/dev/null || echo 2)
run() {
  local target=$1 corpus="fuzz/corpus/$1" seeds=()
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
  # -timeout: one input taking longer than 10 s is a hang, and a failure;
  # a run still going well past its time is one too (exit 124).
  local status=0
  timeout "$((seconds * 2 + 120))" cargo fuzz run "${options[@]}" "$target" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    2> "fuzz/artifacts/$target/last-run.log" || status=$?
  echo "$status" > "fuzz/artifacts/$target/last-run.status"
}
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  echo "fuzz: $target for ${seconds} s"
  rm -f "fuzz/artifacts/$target/last-run.status"
  run "$target" &
done
wait
passed=0
failed=()
for target in "${targets[@]}"; do
  status=$(cat "fuzz/artifacts/$target/last-run.status" 2>/dev/null || echo "no status")
  if [ "$status" != 0 ]; then
    tail -40 "fuzz/artifacts/$target/last-run.log"
    echo "fuzz: $target failed ($status); the input is in fuzz/artifacts/$target/" >&2
    failed+=("$target")
    continue
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "fuzz/artifacts/$target/last-run.log" | sed "s/^/fuzz: $target /"
  passed=$((passed + 1))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: $passed targets passed, 0 crashes"
