#!/usr/bin/env bash
# Builds the sandbox image without any container registry: debootstrap a minimal Debian rootfs holding
# python3 from the machine's own apt mirror, cache the tarball, and `docker import` it.
# Usage: build-offline.sh IMAGE_TAG   (needs root, debootstrap, a reachable Docker engine)
# The rootfs tarball is cached under $SCA_CACHE: rebuilding the image after a Docker reset is one import.
set -euo pipefail
tag=${1:?usage: build-offline.sh IMAGE_TAG}
cache=${SCA_CACHE:-$HOME/.cache/selfcodealign-stream}
suite=bookworm
tarball="$cache/sandbox-rootfs-$suite-python3.tar.gz"
mkdir -p "$cache"

mirror() {
  # The first non-security deb URI configured for apt: the build uses the machine's own Debian source.
  local u
  u=$(grep -hoE '^URIs:\s*\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$u" ] || u=$(grep -hoE '^deb\s+\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$u" ] || { echo "build-offline: no Debian mirror found in the apt sources" >&2; exit 1; }
  echo "$u"
}

if [ ! -s "$tarball" ]; then
  root=$(mktemp -d /tmp/sca-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "build-offline: debootstrap $suite into $root" >&2
  debootstrap --variant=minbase --include=python3 "$suite" "$root" "$(mirror)" >&2
  # What a sandbox never needs: package caches, docs, the package manager's state.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" --numeric-owner -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
echo "build-offline: importing $tarball as $tag" >&2
docker import \
  --change 'ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'USER 65534:65534' --change 'WORKDIR /tmp' --change 'CMD ["python3"]' \
  "$tarball" "$tag" >&2
