#!/usr/bin/env bash
# A real Compose implementation to validate docker-compose.yml with: Debian's docker-compose (1.29,
# which reads the Compose Specification, GPU device reservations and completed-successfully
# dependencies). `config` needs no Docker engine. Idempotent: installs only when missing.
set -euo pipefail
if command -v docker-compose >/dev/null; then
  echo "docker-compose present: $(docker-compose version --short 2>/dev/null)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker-compose >&2
echo "docker-compose installed: $(docker-compose version --short)"
