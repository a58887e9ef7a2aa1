#!/usr/bin/env bash
# Prints the foundation's figures beside their reference runs (unlock time
# and the Argon2id parameters chosen here; vault open and matter list with
# 100,000 matters; backups of 10,000 documents beside restic; OCR beside
# the tesseract CLI; conflict checks beside SQL LIKE; share packaging of
# 1 GiB beside age and 7z), inside a private
# Secret Service:
#
#   ./scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
# Conflict-check name matching (no vault, no keychain): check latency over
# 100,000 names beside SQLite LIKE.
cargo bench --locked -p matterbox-names --bench check
# OCR: pages per minute, character accuracy and peak memory beside the
# tesseract CLI on the same 20 generated 300 dpi pages.
cargo bench --locked -p matterbox-ocr --bench ocr
# Share packages: throughput for MATTERBOX_BENCH_SHARE_MIB (1,024) MiB of
# documents beside `tar | age -r` and `7z a -p` on the same files.
cargo bench --locked -p matterbox-share --bench package
exec ./scripts/with-secret-service.sh \
  cargo bench --locked -p matterbox-core --features test-support --benches
