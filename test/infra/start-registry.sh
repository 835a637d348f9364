#!/usr/bin/env bash
# Starts Apicurio Registry in memory on loopback for the tests; stdout: only
# `export SCHEMA_REGISTRY_URL=...` (its Confluent-compatible API). Port 18081 unless taken (another
# test run on this machine), then the next free one 100 above; REGISTRY_PORT pins it. Below the
# ephemeral range (32768+) so no outgoing socket holds it while a test restarts the registry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/jvm-lib.sh"
: "${SCA_INFRA_RUN:?SCA_INFRA_RUN must name the directory for pid and data files}"

home=$(registry_home)
[ -e "$home/.complete" ] || { echo "apicurio registry is not installed in $home: run bash test/infra/install.sh" >&2; exit 1; }

dir="$SCA_INFRA_RUN/registry"
rm -rf "$dir" && mkdir -p "$dir"

# Serialises port choice across concurrent test runs; the registry must not inherit the fd (9>&-).
exec 9>/tmp/sca-registry-ports.lock
flock -w 180 9 || echo "port lock still busy after 180 s; going ahead without it" >&2
port=${REGISTRY_PORT:-$(free_port_pair 18081 100 "$dir")}
# A pinned port is a restart on the port a test knows: reserve it again.
[ -z "${REGISTRY_PORT:-}" ] || reserve_port "$port" "$dir"
echo "$port" >"$dir/port"

t0=$(date +%s%N)
# In-memory H2 storage (the default), so every start is empty. Serial GC, a small heap and C1 only:
# the tests register a handful of schemas, and JIT work at startup competes for a shared CPU.
setsid java ${REGISTRY_JVM_OPTS:--Xms64m -Xmx256m -XX:TieredStopAtLevel=1} $(cds_flags "$home/registry.jsa") -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
  -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
  -Dquarkus.log.level=WARN -Dquarkus.http.access-log.enabled=false \
  -jar "$(cat "$home/run-jar")" </dev/null >"$dir/registry.log" 2>&1 9>&- &
echo $! >"$dir/pid"

url="http://127.0.0.1:$port/apis/ccompat/v7"
deadline=$((SECONDS + ${REGISTRY_START_TIMEOUT:-240}))
until curl -sf -o /dev/null "$url/subjects"; do
  if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "schema registry exited during startup; last lines of $dir/registry.log:" >&2
    tail -n 30 "$dir/registry.log" >&2
    exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then echo "schema registry not ready after ${REGISTRY_START_TIMEOUT:-240}s" >&2; exit 1; fi
  sleep 0.2
done
echo "apicurio registry $APICURIO_VERSION ready at $url in $(( ($(date +%s%N) - t0) / 1000000 )) ms (log: $dir/registry.log)" >&2
echo "export SCHEMA_REGISTRY_URL=$url"
