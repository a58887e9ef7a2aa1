#!/usr/bin/env bash
# Builds the packages people install, with the Tauri bundler: a .deb and an
# .rpm holding the desktop app and the `matterbox` command-line tool, its
# man pages and shell completions (generated from the CLI's own argument
# definitions), the desktop entry, icons at every size and AppStream
# metainfo.
#
#   ./scripts/package.sh                    release build -> target/release/bundle/{deb,rpm}/
#   ./scripts/package.sh --debug            the debug build (what the tests install)
#   ./scripts/package.sh --bundles deb      only some kinds
#
# The bundler runs offline. macOS (.app, .dmg) and Windows (.msi) bundles are
# configured in src-tauri/tauri.{macos,windows}.conf.json; see the README.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
bundles=deb,rpm
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --bundles) bundles="$2"; shift ;;
    *) echo "usage: $0 [--debug] [--bundles deb,rpm]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/setup.sh
(cd ui && npm run --silent build)
bundle=(ui/node_modules/.bin/tauri bundle --ci --bundles "$bundles" --config src-tauri/tauri.bundle.conf.json)
if [ "$profile" = release ]; then
  build=(cargo build --locked --release -p matterbox-desktop -p matterbox-cli)
else
  # The debug build exactly as scripts/test.sh makes it (the whole
  # workspace, so with the test hooks the other tests need): building the
  # two crates alone would replace the binaries the rest of the suite runs.
  build=(cargo build --locked --workspace --lib --bins --tests)
  bundle+=(--debug)
fi
"${build[@]}"

# What the bundle takes from outside the desktop build (src-tauri/tauri.bundle.conf.json).
stage=target/package
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/docs"
triple=$(rustc -vV | sed -n 's/^host: //p')
cp "target/$profile/matterbox" "$stage/bin/matterbox-$triple"
"target/$profile/matterbox" generate-docs --out "$stage/docs"
gzip -9n "$stage"/docs/man1/*.1

"${bundle[@]}"
find "target/$profile/bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' \) -print
