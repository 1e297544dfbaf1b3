#!/usr/bin/env bash
# KenLM: the Python module (querying) comes from pyproject (`kenlm`, built from source by pip);
# this step builds the training tools `lmplz` and `build_binary` from the same PyPI sdist,
# which carries the full C++ tree (lm/builder included), and copies them into .venv/bin.
# Idempotent: does nothing when both binaries are already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(.venv/bin/python -c "from curation.assets import asset_bin; print(asset_bin('lmplz').parent)")
if [ -x "$BIN/lmplz" ] && [ -x "$BIN/build_binary" ]; then
  exit 0
fi

pkgs="cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip download -q --no-binary kenlm --no-deps kenlm -d "$work"
tar -xzf "$work"/kenlm-*.tar.gz -C "$work"
src=$(find "$work" -maxdepth 1 -type d -name 'kenlm-*' | head -n1)
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target lmplz build_binary -j2 >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; exit 1; }
install -m 0755 "$work/build/bin/lmplz" "$work/build/bin/build_binary" "$BIN/"
echo "setup: built lmplz and build_binary into $BIN" >&2
