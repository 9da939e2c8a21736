#!/usr/bin/env bash
# systemd-analyze verify and security on the unit, with ExecStart pointed at the built binary
# (verify insists the command exists).
set -euo pipefail
unit=$1
binary=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/bin/adu-opwatch#$binary#g" "$unit" > "$tmp/adu-opwatch.service"
out=$(systemd-analyze verify --man=no "$tmp/adu-opwatch.service" 2>&1 || true)
if [ -n "$out" ]; then
  echo "systemd-analyze verify is not clean:"; echo "$out"; exit 1
fi
echo "systemd-analyze verify: clean"
line=$(systemd-analyze security --offline=yes "$tmp/adu-opwatch.service" 2>&1 | grep "Overall exposure level")
echo "$line"
score=$(echo "$line" | sed -E 's/.*: ([0-9]+\.[0-9]+) .*/\1/')
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "exposure $score is above 2.0"; exit 1; }
