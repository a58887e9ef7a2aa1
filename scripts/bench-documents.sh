#!/usr/bin/env bash
# Document import figures, side by side on the same file, same disk, same run:
# throughput of `matterbox doc add` for a 1 GiB file against cp, age (X25519
# recipient) and gpg --symmetric AES256 (each followed by sync, as the import
# fsyncs), and peak resident memory while importing a 2 GiB file.
#
#   ./scripts/bench-documents.sh [WORKDIR]   (needs ~7 GiB free in WORKDIR, default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
./scripts/setup.sh
need=()
command -v age >/dev/null || need+=(age)
command -v gpg >/dev/null || need+=(gnupg)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install: ${need[*]}" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --locked -p matterbox-cli --quiet
bin="$root/target/release/matterbox"

work=$(mktemp -d "${1:-/tmp}/matterbox-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export MATTERBOX_VAULT="$work/vault" MATTERBOX_DEVICE_SECRET_DIR="$work/device-secrets"
export MATTERBOX_PASSPHRASE="benchmark passphrase 2026"
"$bin" vault create --danger-device-secret-in-plain-file >/dev/null
"$bin" client add --name "Fictional Client" >/dev/null
number=$("$bin" --json matter open --client 1 --title "Bench" | sed -n 's/.*"number": "\(.*\)".*/\1/p')

echo "== preparing a 1 GiB file"
head -c 1G /dev/urandom > input.bin
age-keygen -o age.key 2>/dev/null
recipient=$(grep -o 'age1[0-9a-z]*' age.key | head -1)

now() { date +%s.%N; }
run() { # label, command...
  local best=""
  for _ in 1 2 3; do
    sync; local t0; t0=$(now)
    "$@" >/dev/null 2>&1; sync
    local t; t=$(echo "$(now) - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    rm -f out.*
  done
  echo "$best"
}

t_unlock=$(run "$bin" matter list)
t_import=$(run "$bin" doc add "$number" input.bin --allow-duplicate)
t_cp=$(run cp input.bin out.cp)
t_age=$(run age -r "$recipient" -o out.age input.bin)
t_gpg=$(run gpg --batch --yes --pinentry-mode loopback --passphrase bench --symmetric --cipher-algo AES256 --compress-algo none -o out.gpg input.bin)
rate() { echo "scale=0; 1024 / $1" | bc -l; }
t_only=$(echo "$t_import - $t_unlock" | bc -l)
printf "\n== 1 GiB import, best of 3 (MiB/s, higher is faster)\n"
printf "matterbox doc add (incl. unlock %.2f s)  %6s MiB/s   | cp + sync        %6s MiB/s\n" "$t_unlock" "$(rate "$t_import")" "$(rate "$t_cp")"
printf "matterbox import alone                  %6s MiB/s   | age -r + sync    %6s MiB/s\n" "$(rate "$t_only")" "$(rate "$t_age")"
printf "%-39s %6s         | gpg AES256 + sync %5s MiB/s\n" "" "" "$(rate "$t_gpg")"
printf "import alone vs cp: %.2fx\n" "$(echo "$t_cp / $t_only" | bc -l)"

echo "== peak resident memory importing a 2 GiB file"
rm -f input.bin
head -c 2G /dev/urandom > input2.bin
/usr/bin/time -v "$bin" doc add "$number" input2.bin --allow-duplicate 2> time.log >/dev/null
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.log)
/usr/bin/time -v "$bin" matter list 2> time-list.log >/dev/null
rss_list=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time-list.log)
printf "matterbox doc add, 2 GiB: %s MiB peak RSS | same unlock, no import (matter list): %s MiB | import's own share: %s MiB\n" \
  "$((rss / 1024))" "$((rss_list / 1024))" "$(((rss - rss_list) / 1024))"
echo "(the unlock's Argon2id, calibrated to about 0.5 s, takes most of the memory; the import streams one 64 KiB chunk at a time)"
