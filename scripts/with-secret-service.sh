#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real Secret Service
# (gnome-keyring) and a throwaway home folder, so it never touches the
# user's own keychain, vaults or settings:
#
#   scripts/with-secret-service.sh COMMAND [ARGS...]
#
# Used by the test command and the benchmarks. Needs the packages that
# `scripts/setup.sh --test` installs.
set -euo pipefail

sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT
mkdir -m 700 "$sandbox/runtime"

# cargo and rustup keep finding their own folders when HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export MATTERBOX_TEST_SECRET_SERVICE=1

env HOME="$sandbox" \
  XDG_DATA_HOME="$sandbox/data" XDG_CONFIG_HOME="$sandbox/config" \
  XDG_CACHE_HOME="$sandbox/cache" XDG_RUNTIME_DIR="$sandbox/runtime" \
  NO_AT_BRIDGE=1 \
  dbus-run-session -- bash -c '
    set -euo pipefail
    # The password must not be empty, or no login collection is created.
    printf "test-password" | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null 2>&1
    exec "$@"
  ' with-secret-service "$@"
