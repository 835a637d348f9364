#!/usr/bin/env bash
# Stops the registry started by start-registry.sh in this $SCA_INFRA_RUN (no-op if none).
set -euo pipefail
dir="${SCA_INFRA_RUN:?}/registry"
[ -s "$dir/pid" ] || exit 0
pid=$(cat "$dir/pid")
kill -TERM "$pid" 2>/dev/null || exit 0
# up to 60 s: a training run writes its class-data archive on the way out
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$dir/pid"
source "$(dirname "$0")/jvm-lib.sh"
if [ -s "$dir/port" ]; then release_port "$(cat "$dir/port")"; fi
