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
# a regression test.
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
passed=0
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
  echo "fuzz: $target for ${seconds} s"
  # -timeout: one input taking longer than 10 s is a hang, and a failure.
  if ! cargo fuzz run "${options[@]}" "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      2> "fuzz/artifacts/$target/last-run.log"; then
    tail -40 "fuzz/artifacts/$target/last-run.log"
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "fuzz/artifacts/$target/last-run.log" | sed "s/^/fuzz: $target /"
  passed=$((passed + 1))
done
echo "fuzz: $passed targets passed, 0 crashes"
