#!/usr/bin/env bash
# Retakes the README's screenshots: runs the end-to-end tests against the
# real app under Xvfb and saves each screen into docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
(cd ui && npm run --silent build)
cargo build --locked -p matterbox-desktop --quiet
MATTERBOX_SCREENSHOTS="$PWD/docs/screenshots" MATTERBOX_TEST_PYTHON="$PWD/target/test-python/bin/python" \
  ./scripts/with-secret-service.sh "$PWD/target/test-python/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
