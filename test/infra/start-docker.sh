#!/usr/bin/env bash
# Makes a Docker engine and the sandbox image available to the tests. Reuses an engine that already
# answers; otherwise starts dockerd (no iptables, no bridge: sandboxes have no network anyway) and
# records that it did, so that stop-docker.sh stops only an engine started here, once its last user is
# done (several test runs may share it: each holds a lease until its stop-docker.sh).
# stdout: only `export VAR=value` lines. Logs go to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export SCA_CACHE=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}
run=${SCA_INFRA_RUN:?SCA_INFRA_RUN must be set (test/infra/with-infra.sh sets it)}
state=/run/sca-docker
mkdir -p "$state/leases"
exec 9>"$state/lock"
flock 9

# The process whose life the lease follows: $SCA_DOCKER_LEASE_PID if given, else the with-infra.sh
# that runs us, else our caller.
owner=${SCA_DOCKER_LEASE_PID:-$PPID}
p=$PPID
while [ -z "${SCA_DOCKER_LEASE_PID:-}" ] && [ "$p" -gt 1 ]; do
  if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'with-infra.sh'; then owner=$p; break; fi
  p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 1)
done

sock=/var/run/docker.sock
host=${DOCKER_HOST:-unix://$sock}
if ! docker -H "$host" info >/dev/null 2>&1; then
  [ -z "${DOCKER_HOST:-}" ] || { echo "start-docker: DOCKER_HOST=$DOCKER_HOST does not answer" >&2; exit 1; }
  command -v dockerd >/dev/null || { echo "start-docker: dockerd missing: run test/infra/install.sh" >&2; exit 1; }
  echo "start-docker: starting dockerd (log: $state/dockerd.log)" >&2
  # fd 9 (the lock) must not leak into the daemon, nor our stdout (read by with-infra.sh).
  setsid dockerd --iptables=false --bridge=none --ip-masq=false -H "unix://$sock" --pidfile "$state/dockerd.pid" \
    </dev/null >"$state/dockerd.log" 2>&1 9>&- &
  echo $! >"$state/started"
  for _ in $(seq 1 120); do
    docker -H "$host" info >/dev/null 2>&1 && break
    kill -0 "$(cat "$state/started")" 2>/dev/null || { tail -20 "$state/dockerd.log" >&2; rm -f "$state/started"; exit 1; }
    sleep 0.5
  done
  docker -H "$host" info >/dev/null 2>&1 || { echo "start-docker: dockerd did not answer in 60 s" >&2; tail -20 "$state/dockerd.log" >&2; exit 1; }
fi
[ -e "$state/started" ] && echo "$owner" >"$state/leases/$(basename "$run")"

# The image tag follows the build recipe: a changed recipe builds a new image.
tag="sca-sandbox:$(cat "$repo/services/sandbox/image/build-offline.sh" | sha256sum | cut -c1-12)"
if ! docker -H "$host" image inspect "$tag" >/dev/null 2>&1; then
  DOCKER_HOST=$host bash "$repo/services/sandbox/image/build-offline.sh" "$tag" >&2
fi
echo "export DOCKER_HOST=$host"
echo "export SCA_SANDBOX_IMAGE=$tag"
