#!/usr/bin/env bash
# Prints the desktop app's figures beside their references: cold start to
# the unlock screen and to an unlocked matter list, UI bundle size, idle
# resident memory. Release build, private Secret Service, Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
(cd ui && npm run --silent build)
cargo build --release --locked -p matterbox-desktop -p matterbox-cli --quiet
MATTERBOX_APP="$PWD/target/release/matterbox-desktop" MATTERBOX_TEST_SECRET_SERVICE=1 \
  ./scripts/with-secret-service.sh "$PWD/target/test-python/bin/python" benches/desktop.py
