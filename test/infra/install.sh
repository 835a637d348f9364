#!/usr/bin/env bash
# Installs everything the tests need, idempotently (cached under $SCA_CACHE). Each component has its
# own install-*.sh beside this file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SCA_CACHE=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}
mkdir -p "$SCA_CACHE"
for f in "$here"/install-*.sh; do
  [ -e "$f" ] || continue
  echo "== $(basename "$f")"
  bash "$f"
done
