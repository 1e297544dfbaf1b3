#!/usr/bin/env bash
# Language ID, second stage: train the confusion-group model (ms/id, ne/hi/mr, az/tr, zh/ja,
# ur/pa) from NTREX, Tatoeba and shared/data/sentences into asset_dir("langid"), plus the
# dedicated Malay/Indonesian model and its NTREX-derived marker words (filters/langid_msid_train.py).
# fasttext-numpy2-wheel (full fastText: training, NumPy 2) provides a `fasttext` module just
# like fasttext-predict (run time), so it is installed apart, with `pip --target`, and put
# first on PYTHONPATH for the training process only. Idempotent: skips an up-to-date model.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
LANGID_DIR=$($PY -c 'from curation.assets import asset_dir; print(asset_dir("langid"))')
TRAINER="$LANGID_DIR/_trainer"
if $PY -m filters.langid_train --if-missing --out "$LANGID_DIR/second_stage.ftz" --data /nonexistent 2>/dev/null; then
  exit 0
fi
if [ ! -d "$TRAINER/fasttext" ]; then
  mkdir -p "$TRAINER"
  # --no-deps: numpy (>= 2) is already in the venv; pybind11/setuptools are build-time only.
  $PY -m pip install -q --no-deps --target "$TRAINER" "fasttext-numpy2-wheel==0.9.2"
fi
PYTHONPATH="$TRAINER${PYTHONPATH:+:$PYTHONPATH}" $PY -m filters.langid_train --if-missing \
  --out "$LANGID_DIR/second_stage.ftz"
