#!/usr/bin/env bash
# Runs every check and test of Matterbox, setting up what is missing first:
#
#   ./scripts/test.sh
#
# Formatting, clippy, then the whole workspace's tests inside a private
# D-Bus session with a real Secret Service (gnome-keyring) and a throwaway
# home folder, so nothing touches the user's own keychain or vaults.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Each phase prints its start time, so a slow run says where its time went.
phase() { echo "== $* (at $(( $(date +%s) - started )) s)"; }

phase "setup"
./scripts/setup.sh --test

# The fuzz targets' own build (release, coverage counters, fuzz/target) runs
# beside everything else from here on, at the lowest priority: it takes the
# CPU the rest leaves idle (the UI checks' single thread, the builds' serial
# stretches, the end-to-end tests waiting on the app) and none it needs.
# Started only after the builds, it was still building when the end-to-end
# tests ended (two minutes of a cold run).
# It runs in its own session (so it can be stopped as one group), and the
# kernel shares the CPU fairly between sessions whatever their `nice`
# (autogroups): the session's own priority is lowered too, or a cold build
# takes half of both cores from the tests.
fuzz_build_log=$(mktemp)
trap 'rm -f "$log" "$fuzz_build_log"; [ -n "${fuzz_build:-}" ] && kill -- "-$fuzz_build" 2>/dev/null; true' EXIT
# Bounded like every wait of the run: a build still going after 65 minutes
# (it yields to everything else until the end-to-end tests) is stuck, and
# fails the run instead of running into CI's 90-minute limit.
setsid bash -c 'echo 19 > /proc/self/autogroup 2>/dev/null; exec nice -n 19 timeout 3900 ./scripts/fuzz.sh --build-only' > "$fuzz_build_log" 2>&1 &
fuzz_build=$!

phase "UI: type-check, component tests, build"
(cd ui && npm run --silent check && NO_COLOR=1 npm run --silent test && npm run --silent build) 2>&1 | tee -a "$log"
phase "cargo fmt"
cargo fmt --all -- --check
phase "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The binaries the integration and end-to-end tests run, and the test
# binaries; benchmarks are type-checked by clippy above and not run here,
# so they are not linked (nine more links of the whole core).
phase "build"
cargo build --workspace --lib --bins --tests --locked

export MATTERBOX_TEST_PYTHON="$PWD/target/test-python/bin/python"
# cargo-nextest runs the tests of every test binary from one pool, so the
# long suites (fault injection, backups) share the two cores with the rest
# instead of running alone; .config/nextest.toml fails a test that hangs.
phase "Rust tests (inside a private Secret Service)"
./scripts/with-secret-service.sh cargo nextest run --workspace --lib --bins --tests --locked --no-tests=fail 2>&1 | tee -a "$log"

phase "end-to-end: the real app under Xvfb via tauri-driver (inside a private Secret Service)"
./scripts/with-secret-service.sh "$MATTERBOX_TEST_PYTHON" -m pytest -p no:cacheprovider --durations=12 tests/e2e 2>&1 | tee -a "$log"

phase "fuzzing: every parser of hostile input, briefly (scripts/fuzz.sh)"
if ! wait "$fuzz_build"; then
  fuzz_build=
  cat "$fuzz_build_log"
  echo "test: the fuzz targets did not build" >&2
  exit 1
fi
fuzz_build=
# A smoke run of 10 s per target keeps the whole command within its
# 45-minute budget on 2 cores; longer runs are made by hand (fuzz/README.md).
MATTERBOX_FUZZ_SECONDS="${MATTERBOX_FUZZ_SECONDS:-10}" ./scripts/fuzz.sh 2>&1 | tee -a "$log"

# One closing line over every test binary.
# Rust (nextest): "Summary [ T s] N tests run: P passed, F failed, S skipped";
# Vitest: "Tests  N passed (N)";
# pytest: "N passed in …" (and "M failed").
awk '
  /^ *Summary \[/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /^ *Tests +[0-9]+ (passed|failed)/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /^=* *[0-9]+ (passed|failed).* in [0-9.]+s/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /^fuzz: [0-9]+ targets passed/ { p += $2 }
  END { printf "tests: %d passed, %d failed\n", p, f }' "$log"

echo "== all checks passed in $(( $(date +%s) - started )) s"
