#!/usr/bin/env bash
# Prometheus and promtool from Debian's `prometheus` package, unpacked under $SCA_CACHE rather than
# installed: installing it would start a system-wide daemon on :9090 (its init script), which the
# tests neither need nor want; they start their own Prometheus on a free port. Both binaries are
# static Go programs, so the package's other dependencies (web UI JavaScript) are not needed.
# Idempotent: a finished unpack leaves a .complete marker.
set -euo pipefail
: "${SCA_CACHE:=$HOME/.cache/selfcodealign-stream}"
dir="$SCA_CACHE/prometheus"
if [ -e "$dir/.complete" ]; then
  echo "prometheus already unpacked in $dir: $("$dir/usr/bin/prometheus" --version 2>&1 | head -n 1)"
  exit 0
fi
rm -rf "$dir" && mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work" # apt's download sandbox user must be able to write the .deb here
apt-get update -qq
(cd "$work" && apt-get download -qq prometheus)
dpkg-deb -x "$work"/prometheus_*.deb "$dir"
"$dir/usr/bin/promtool" --version >/dev/null
touch "$dir/.complete"
echo "prometheus unpacked in $dir: $("$dir/usr/bin/prometheus" --version 2>&1 | head -n 1)"
