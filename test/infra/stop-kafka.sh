#!/usr/bin/env bash
# Stops the broker started by start-kafka.sh in this $SCA_INFRA_RUN (no-op if none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir="${SCA_INFRA_RUN:?}/kafka"
[ -e "$dir/env" ] || exit 0
bash "$here/kafka-ctl.sh" "$dir" stop
source "$here/jvm-lib.sh"
source "$dir/env"
release_port "$KAFKA_PORT"
