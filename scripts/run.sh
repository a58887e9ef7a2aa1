#!/usr/bin/env bash
# Runs Matterbox, setting up what is missing first:
#
#   ./scripts/run.sh              build and start the desktop app (your vaults live in your data folder)
#   ./scripts/run.sh ARGS...      run the command-line tool instead: `matterbox ARGS...` (try --help)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

if [ $# -gt 0 ]; then
  cargo build --release --locked -p matterbox-cli --quiet
  exec "$PWD/target/release/matterbox" "$@"
fi

(cd ui && npm run --silent build)
cargo build --release --locked -p matterbox-desktop --quiet
exec "$PWD/target/release/matterbox-desktop"
