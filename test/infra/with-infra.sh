#!/usr/bin/env bash
# Starts the real infrastructure the tests talk to (each start-*.sh beside this file prints
# `export VAR=value` lines for the tests), runs the given command, and stops everything afterwards.
# If a component cannot start, this fails: tests are never skipped for missing infrastructure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SCA_CACHE=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}
export SCA_INFRA_RUN=${SCA_INFRA_RUN:-$(mktemp -d /tmp/sca-infra.XXXXXX)}
stop_all() {
  for f in "$here"/stop-*.sh; do [ -e "$f" ] && bash "$f" || true; done
}
trap stop_all EXIT
for f in "$here"/start-*.sh; do
  [ -e "$f" ] || continue
  echo "== $(basename "$f")" >&2
  out=$(bash "$f")
  eval "$out"
done
"$@"
