#!/usr/bin/env bash
# Create .venv, install the project (and, with --dev, the test tools), then run every step in
# scripts/setup.d/ in name order (native tools, models built from ../shared data, ...).
# Idempotent: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
extras=""
DEV=0
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; DEV=1; fi
.venv/bin/python -m pip install -q -e ".${extras}"
export DEV
for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "setup: $(basename "$step")" >&2
  bash "$step"
done
.venv/bin/curate --help >/dev/null
echo "setup: ok (.venv ready${extras:+, with dev tools})" >&2
