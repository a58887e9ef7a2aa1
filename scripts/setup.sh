#!/usr/bin/env bash
# Installs what Matterbox needs on a Debian or Ubuntu machine, and nothing
# that is there already. Never prompts (safe for CI).
#
#   scripts/setup.sh          what building needs
#   scripts/setup.sh --test   also what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

# C toolchain and headers: SQLCipher and OpenSSL are compiled in; the
# Secret Service store talks to libdbus.
packages=(build-essential pkg-config perl make libdbus-1-dev)
if $want_test; then
  # A private Secret Service (gnome-keyring on its own D-Bus session) and
  # secret-tool to look into it from outside.
  packages+=(dbus gnome-keyring libsecret-tools)
  python3 -m venv --help >/dev/null 2>&1 || packages+=(python3 python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "setup: these Debian packages are missing and I cannot install them without root: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust: the machine's toolchain (rustup). The workspace needs 1.90 or newer.
if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing. Install Rust 1.90 or newer with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "$rust_minor" -lt 90 ]; then
  echo "setup: Rust $(rustc --version) is too old; Matterbox needs 1.90 or newer (rustup update)." >&2
  exit 1
fi

if $want_test; then
  # The external SQLCipher 4 client that reads the vault file in the tests
  # (Debian's sqlcipher CLI is 3.x and cannot open SQLCipher 4 files).
  venv=target/test-python
  if ! "$venv/bin/python" -c "import sqlcipher3" 2>/dev/null; then
    echo "setup: installing sqlcipher3-binary into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "sqlcipher3-binary==0.6.0"
  fi
fi
