#!/usr/bin/env bash
# Create .venv and install the project (and, with --dev, the test tools). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi
.venv/bin/python -m pip install -q -e ".${extras}"
.venv/bin/curate --help >/dev/null
echo "setup: ok (.venv ready${extras:+, with dev tools})" >&2
