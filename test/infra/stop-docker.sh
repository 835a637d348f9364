#!/usr/bin/env bash
# Ends this test run's lease on the Docker engine; stops dockerd only if start-docker.sh started it and
# no other live test run still holds a lease. An engine found running is never touched.
set -uo pipefail
state=/run/sca-docker
[ -d "$state" ] || exit 0
exec 9>"$state/lock"
flock 9
[ -n "${SCA_INFRA_RUN:-}" ] && rm -f "$state/leases/$(basename "$SCA_INFRA_RUN")"
[ -e "$state/started" ] || exit 0
for lease in "$state"/leases/*; do
  [ -e "$lease" ] || continue
  if kill -0 "$(cat "$lease")" 2>/dev/null; then exit 0; fi
  rm -f "$lease"
done
pid=$(cat "$state/started")
echo "stop-docker: stopping dockerd $pid" >&2
kill "$pid" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -9 "$pid" 2>/dev/null
rm -f "$state/started"
exit 0
