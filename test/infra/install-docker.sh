#!/usr/bin/env bash
# Sandbox infrastructure from Debian packages: the Docker engine, gVisor (runsc), bubblewrap, and what
# the offline image build needs (debootstrap). Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v runsc >/dev/null || need+=(runsc)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v debootstrap >/dev/null || need+=(debootstrap)
# The host interpreter the bwrap backend binds read-only into its sandboxes.
[ -x /usr/bin/python3 ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# gVisor as a Docker runtime. Its own netstack is switched off: sandboxes get no network at all.
conf=/etc/docker/daemon.json
mkdir -p /etc/docker
if ! grep -q '"runsc"' "$conf" 2>/dev/null; then
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    let c = {}; try { c = JSON.parse(fs.readFileSync(f, "utf8")); } catch {}
    c.runtimes = { ...(c.runtimes ?? {}), runsc: { path: process.argv[2], runtimeArgs: ["--network=none"] } };
    fs.writeFileSync(f, JSON.stringify(c, null, 2) + "\n");
  ' "$conf" "$(command -v runsc)"
fi
