#!/usr/bin/env bash
# URL filter: the UT1 blacklists (CC BY-SA 4.0) as shipped inside the datatrove 0.10.1 wheel,
# hashed into asset_dir("urls") by filters/url_ut1.py. Only the wheel file is downloaded
# (--no-deps, into a temp dir); datatrove is never installed. Idempotent: skips built lists.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
if $PY -m filters.url_ut1 --if-missing; then
  exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
$PY -m pip download -q --no-deps --only-binary=:all: --dest "$TMP" "datatrove==0.10.1" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
$PY -m filters.url_ut1 --wheel "$TMP/datatrove-0.10.1-py3-none-any.whl"
