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

# C toolchain and headers: SQLCipher is compiled in, over the system's
# OpenSSL (libssl-dev); the Secret Service store talks to libdbus.
packages=(build-essential pkg-config perl make libssl-dev libdbus-1-dev)
# The desktop shell: WebKitGTK 4.1 (Tauri 2), SVG icons, input helpers.
packages+=(libwebkit2gtk-4.1-dev librsvg2-dev libxdo-dev file)
# OCR (crates/ocr): Tesseract 5 and Leptonica through their C API (bindgen
# needs clang), English and the orientation/script model (rotation detection).
packages+=(libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-osd clang libclang-dev)
if $want_test; then
  # The real app under a virtual display, driven over WebDriver; screenshots.
  packages+=(xvfb xauth webkit2gtk-driver at-spi2-core imagemagick fonts-dejavu-core procps xdotool python3-gi gir1.2-gtk-3.0)
  # Fault injection: kill or fail the CLI at chosen system calls.
  packages+=(strace)
  # Benchmarks: import throughput is printed beside age (X25519 recipient).
  # Share packages: the real age, 7z and minisign open and check what
  # Matterbox wrote (script, from util-linux, gives age its terminal).
  packages+=(age p7zip-full minisign)
  # Backups: the real restic CLI lists, checks and restores what Matterbox wrote.
  packages+=(restic)
  # The backup benchmark reads restic's peak memory from /usr/bin/time.
  packages+=(time)
  # A private Secret Service (gnome-keyring on its own D-Bus session) and
  # secret-tool to look into it from outside. python3-gi above also runs
  # tests/python/silent_secret_service.py, a Secret Service that never answers.
  packages+=(dbus gnome-keyring libsecret-tools)
  # OCR tests and benchmark: img2pdf wraps generated scans into PDFs unchanged;
  # the tesseract CLI is the benchmark's reference; German for a second language.
  packages+=(img2pdf tesseract-ocr tesseract-ocr-deu)
  # Court bundles and searchable PDFs: qpdf checks their structure, poppler's
  # pdftotext and pdfinfo read their text and count their pages.
  packages+=(qpdf poppler-utils)
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

# Rust: the machine's toolchain (rustup). The workspace needs 1.92 or newer.
if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing. Install Rust 1.92 or newer with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "$rust_minor" -lt 92 ]; then
  echo "setup: Rust $(rustc --version) is too old; Matterbox needs 1.92 or newer (rustup update)." >&2
  exit 1
fi

# Node.js for the UI build (Vite 8 needs 20.19 or newer).
if ! command -v npm >/dev/null; then
  echo "setup: Node.js 20.19+ with npm is missing; install it (for example from your distribution or nodejs.org), then run this again." >&2
  exit 1
fi
node_version=$(node -p 'process.versions.node')
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js $node_version is too old; the UI build needs 20.19 or newer." >&2
  exit 1
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

if $want_test; then
  # tauri-driver: the WebDriver bridge to WebKitWebDriver for end-to-end tests.
  if ! command -v tauri-driver >/dev/null; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --version 2.1.0 --locked --quiet
  fi
  # cargo-nextest: runs the Rust tests of every test binary from one pool.
  if ! cargo nextest --version >/dev/null 2>&1; then
    echo "setup: installing cargo-nextest"
    cargo install cargo-nextest --version 0.9.143 --locked --quiet
  fi
  # cargo-fuzz: the test command runs every fuzz target briefly (scripts/fuzz.sh).
  if ! command -v cargo-fuzz >/dev/null; then
    echo "setup: installing cargo-fuzz"
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
  fi
  # The external SQLCipher 4 client that reads the vault file in the tests
  # (Debian's sqlcipher CLI is 3.x and cannot open SQLCipher 4 files).
  venv=target/test-python
  # pip runs as `python -m pip`: a venv's bin/pip names the venv's old path
  # and would install into that one if target/ was copied or moved.
  if ! "$venv/bin/python" -c "import sqlcipher3" 2>/dev/null; then
    echo "setup: installing sqlcipher3-binary into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "sqlcipher3-binary==0.6.0"
  fi
  # pytest-timeout bounds each end-to-end test (pytest.ini), so a hang fails
  # that test instead of running into CI's time limit.
  if ! "$venv/bin/python" -c "import selenium, pytest, pytest_timeout" 2>/dev/null; then
    echo "setup: installing selenium, pytest and pytest-timeout into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "selenium==4.50.0" "pytest==9.2.0" "pytest-timeout==2.4.0"
  fi
  # An S3-compatible object store on loopback for the backup tests (Debian
  # packages no MinIO): moto's server, started by the tests themselves.
  if ! [ -x "$venv/bin/moto_server" ]; then
    echo "setup: installing moto[server] into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.5"
  fi
fi
