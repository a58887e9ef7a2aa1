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

sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT
mkdir -m 700 "$sandbox/runtime"

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export MATTERBOX_TEST_PYTHON="$PWD/target/test-python/bin/python"
export MATTERBOX_TEST_SECRET_SERVICE=1

echo "== tests (private Secret Service in $sandbox)"
env HOME="$sandbox" \
  XDG_DATA_HOME="$sandbox/data" XDG_CONFIG_HOME="$sandbox/config" \
  XDG_CACHE_HOME="$sandbox/cache" XDG_RUNTIME_DIR="$sandbox/runtime" \
  NO_AT_BRIDGE=1 \
  dbus-run-session -- bash -c '
    set -euo pipefail
    # The password must not be empty, or no login collection is created.
    printf "test-password" | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null 2>&1
    cargo test --workspace --all-targets --locked
  ' 2>&1 | tee "$sandbox/test.log"

# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$sandbox/test.log"

echo "== all checks passed in $(( $(date +%s) - started )) s"
