#!/usr/bin/env bash
# Builds one of our production Dockerfiles, unchanged, where Docker Hub cannot be reached: on a base
# image from offline-base.sh, passed as the Dockerfile's base ARG.
#   app:     ./Dockerfile                        (ARG NODE_IMAGE, default node:24-bookworm-slim)
#   sandbox: services/sandbox/image/Dockerfile   (ARG DEBIAN_IMAGE, default debian:bookworm-slim)
# Usage: build-image.sh app|sandbox IMAGE_TAG   (DOCKER_HOST honoured). Progress on stderr.
set -euo pipefail
kind=${1:?usage: build-image.sh app|sandbox IMAGE_TAG}
tag=${2:?usage: build-image.sh app|sandbox IMAGE_TAG}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
case "$kind" in
  app) arg=NODE_IMAGE; base=$(bash "$here/offline-base.sh" node); context=$repo ;;
  sandbox) arg=DEBIAN_IMAGE; base=$(bash "$here/offline-base.sh" debian); context=$repo/services/sandbox/image ;;
  *) echo "build-image: unknown kind \"$kind\" (app or sandbox)" >&2; exit 2 ;;
esac
# The classic builder: Debian's engine has no buildx. Host network: RUN steps fetch from the Debian
# mirror and the npm registry, and the engine here has no bridge network.
echo "build-image: docker build $tag on $base" >&2
DOCKER_BUILDKIT=0 docker build --network host --build-arg "$arg=$base" -t "$tag" "$context" >&2
# Every rebuild leaves the previous image dangling (hundreds of MB each); keep a day's worth as cache.
docker image prune -f --filter until=24h >/dev/null
