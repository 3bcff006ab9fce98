#!/bin/sh
# Checks systemd/etagd.service the way systemd would load it, without a running systemd:
#   1. `systemd-analyze verify` parses it (unknown keys, bad values, missing executables);
#      it exits 0 on mere warnings, so any line it prints about the unit fails the test too;
#   2. `systemd-analyze security --offline` scores its sandbox; above 2.0 ("OK") means a
#      hardening setting was lost.
# The unit names /usr/sbin/etagd; the copy checked here names the freshly built binary, which
# verify requires to exist and be executable.
# usage: verify_unit.sh <etagd.service> <etagd binary> <scratch dir>
set -eu
unit=$1
binary=$2
work=$3

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not found (apt-get install systemd)"
  exit 1
fi
if [ ! -x "$binary" ]; then
  echo "etagd binary not built: $binary"
  exit 1
fi

rm -rf "$work"
mkdir -p "$work"
sed "s|/usr/sbin/etagd|$binary|g" "$unit" >"$work/etagd.service"

status=0
out=$(systemd-analyze verify --man=no "$work/etagd.service" 2>&1) || status=$?
if [ "$status" -ne 0 ] || printf '%s' "$out" | grep -q 'etagd.service'; then
  echo "systemd-analyze verify failed (exit $status):"
  echo "$out"
  exit 1
fi

status=0
out=$(systemd-analyze security --offline=yes --threshold=20 "$work/etagd.service" 2>&1) || status=$?
if [ "$status" -ne 0 ]; then
  echo "systemd-analyze security: exposure above 2.0:"
  echo "$out"
  exit 1
fi
printf '%s\n' "$out" | grep 'Overall exposure'
echo "etagd.service verified"
