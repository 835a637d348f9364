#!/usr/bin/env bash
# Controls the test broker whose files live in <dir> (made by start-kafka.sh):
#   kafka-ctl.sh <dir> start|stop|kill|status
# start reuses the data dir, so a test can restart the broker mid-run and find its topics and
# offsets again; stop is a clean shutdown (SIGTERM), kill a crash (SIGKILL).
set -euo pipefail
dir=$1 cmd=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/jvm-lib.sh"
source "$dir/env"   # KAFKA_PORT, CONTROLLER_PORT

running() { [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

wait_ready() {
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-180}))
  until grep -q "Kafka Server started" "$dir/logs/server.log" 2>/dev/null && port_in_use "$KAFKA_PORT"; do
    if ! running; then
      echo "kafka exited during startup; last lines of $dir/logs/:" >&2
      tail -n 30 "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "kafka not ready after ${KAFKA_START_TIMEOUT:-180}s" >&2; return 1; fi
    sleep 0.2
  done
}

wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

case $cmd in
  start)
    if running; then echo "kafka already running (pid $(cat "$dir/pid"))" >&2; exit 0; fi
    # A restart must not see the previous run's "started" line.
    [ -e "$dir/logs/server.log" ] && mv "$dir/logs/server.log" "$dir/logs/server.log.$(date +%s%N)"
    # setsid: the broker must outlive the shell that started it and not get the test runner's signals.
    # -Xlog keeps JVM warnings out of the start script's stdout, which is reserved for `export` lines.
    KAFKA_JVM_HEAP=${KAFKA_JVM_HEAP:--Xms256m -Xmx768m}
    # shellcheck disable=SC2086
    setsid java $KAFKA_JVM_HEAP $(cds_flags "$(kafka_home)/kafka.jsa") -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Dlog4j.configuration="file:$dir/log4j.properties" -Dkafka.logs.dir="$dir/logs" \
      -cp "$(kafka_home)/libs/*" kafka.Kafka "$dir/server.properties" \
      </dev/null >"$dir/logs/stdout.log" 2>&1 9>&- &
    echo $! >"$dir/pid"
    wait_ready
    ;;
  stop)
    running || exit 0
    pid=$(cat "$dir/pid")
    kill -TERM "$pid"
    wait_exit "$pid" 60 || { echo "kafka did not stop in 60s, killing" >&2; kill -KILL "$pid"; wait_exit "$pid" 10; }
    rm -f "$dir/pid"
    ;;
  kill)
    running || exit 0
    pid=$(cat "$dir/pid")
    kill -KILL "$pid"
    wait_exit "$pid" 10
    rm -f "$dir/pid"
    ;;
  status)
    running && echo "running (pid $(cat "$dir/pid"), 127.0.0.1:$KAFKA_PORT)" || { echo "stopped"; exit 1; }
    ;;
  *)
    echo "usage: kafka-ctl.sh <dir> start|stop|kill|status" >&2
    exit 2
    ;;
esac
