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

./scripts/setup.sh --test

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build"
cargo build --workspace --all-targets --locked

export MATTERBOX_TEST_PYTHON="$PWD/target/test-python/bin/python"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== tests (inside a private Secret Service)"
./scripts/with-secret-service.sh cargo test --workspace --all-targets --locked 2>&1 | tee "$log"

# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"

echo "== all checks passed in $(( $(date +%s) - started )) s"
