#!/usr/bin/env bash
# Runs Matterbox on your default vault (in your data folder), setting up
# what is missing first:
#
#   ./scripts/run.sh              create the default vault if there is none, then show it
#   ./scripts/run.sh ARGS...      run `matterbox ARGS...` (see ./scripts/run.sh --help)
#
# Until the desktop app lands this is the command-line quick-start.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --locked -p matterbox-cli --quiet
bin="$PWD/target/release/matterbox"

if [ $# -gt 0 ]; then
  exec "$bin" "$@"
fi
if ! "$bin" vault info >/dev/null 2>&1; then
  echo "No vault yet: creating your default vault. Choose a passphrase of a few unrelated words."
  "$bin" vault create
fi
"$bin" vault info
echo
echo "Matters:"
"$bin" matter list
echo
echo "Next: $bin client add --name NAME, then $bin matter open --client ID --title TITLE (see $bin --help)."
