#!/usr/bin/env bash
# The deployment tests render k8s/ with `kubectl kustomize`. This machine kind ships kubectl; where it
# is missing, kustomize itself is built from its Go module (the same renderer kubectl embeds) into
# $SCA_CACHE/bin. Idempotent.
set -euo pipefail
: "${SCA_CACHE:=$HOME/.cache/selfcodealign-stream}"
if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
  echo "kubectl kustomize present: $(kubectl version --client 2>/dev/null | grep -i kustomize || true)"
  exit 0
fi
bin="$SCA_CACHE/bin/kustomize"
if [ -x "$bin" ]; then
  echo "kustomize present: $("$bin" version)"
  exit 0
fi
command -v go >/dev/null || { echo "neither kubectl nor go found: cannot provide kustomize" >&2; exit 1; }
mkdir -p "$SCA_CACHE/bin"
GOBIN="$SCA_CACHE/bin" nice go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0 >&2
echo "kustomize built: $("$bin" version)"
