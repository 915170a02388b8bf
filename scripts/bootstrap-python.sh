#!/usr/bin/env bash
# Create the project's virtualenv with Python 3.11, installing venv support on Debian if needed.
set -euo pipefail
python=${1:-python3.11}
venv=${2:-.venv}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v "$python" >/dev/null 2>&1; then
  echo "bootstrap: $python not found; installing Debian's python3.11" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv python3.11-dev
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  echo "bootstrap: the venv module is missing; installing python3.11-venv" >&2
  rm -rf "$venv"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "bootstrap: CAD-ML Platform needs Python 3.11 (OCP wheels are built for it)" >&2; exit 1; }
