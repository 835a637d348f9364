#!/usr/bin/env bash
# A Python venv with pyarrow and Hugging Face `datasets` under $SCA_CACHE/venv-datasets: the export
# tests load the written parquet/jsonl with the libraries a trainer uses. Idempotent.
set -euo pipefail
venv="$SCA_CACHE/venv-datasets"
if [ -e "$venv/.complete" ]; then
  echo "datasets venv already in $venv"
  exit 0
fi
py=${SCA_PYTHON:-python3}
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "python3 venv support missing: installing python3-venv from apt" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  py=python3
fi
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check pyarrow datasets
"$venv/bin/python" -c 'import pyarrow, datasets; print("pyarrow", pyarrow.__version__, "datasets", datasets.__version__)'
touch "$venv/.complete"
