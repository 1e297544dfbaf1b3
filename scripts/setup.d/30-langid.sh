#!/usr/bin/env bash
# Language ID, second stage: train the confusion-group model (ms/id, ne/hi/mr, az/tr, zh/ja,
# ur/pa) from NTREX, Tatoeba and shared/data/sentences into asset_dir("langid"), plus the
# dedicated Malay/Indonesian model and its NTREX-derived marker words (filters/langid_msid_train.py),
# and the ms/id wordfreq table and Malay-only word list.
# fasttext-numpy2-wheel (full fastText: training, NumPy 2) provides a `fasttext` module just
# like fasttext-predict (run time), so it is installed apart, with `pip --target`, and put
# first on PYTHONPATH for the training process only. Idempotent: skips an up-to-date model.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
LANGID_DIR=$($PY -c 'from curation.assets import asset_dir; print(asset_dir("langid"))')
TRAINER="$LANGID_DIR/_trainer"
# Malay/Indonesian word frequencies from the wordfreq wheel (data CC-BY-SA 4.0, code Apache-2.0):
# only the wheel is downloaded (--no-deps) and its ms/id lists turned into a table
# (filters/langid_msid_freq.py); built first so the training manifest can report it.
FREQ="$LANGID_DIR/ms_id_wordfreq.tsv"
if [ ! -s "$FREQ" ]; then
  WHEELS=$(mktemp -d)
  $PY -m pip download -q --no-deps --only-binary :all: -d "$WHEELS" "wordfreq==3.1.1"
  $PY -m filters.langid_msid_freq --wheel "$WHEELS/wordfreq-3.1.1-py3-none-any.whl" --out "$FREQ"
  rm -rf "$WHEELS"
fi
# Malay-only words (filters/langid_msid_dict.py): the Malaysian word lists of the malaya wheel
# (MIT) minus the Indonesian roots of the Sastrawi wheel (MIT) and wordfreq's Indonesian list.
# Only the two wheels are downloaded (--no-deps, ~2.7 MB) and kept in _sources/ (the tests read
# the real files in them); about 2 s when the wheels must be fetched.
MSONLY="$LANGID_DIR/ms_only_words.txt"
SOURCES="$LANGID_DIR/_sources"
if [ ! -s "$MSONLY" ]; then
  mkdir -p "$SOURCES"
  $PY -m pip download -q --no-deps --only-binary :all: -d "$SOURCES" "malaya==5.1.1" "Sastrawi==1.0.1"
  $PY -m filters.langid_msid_dict --malaya "$SOURCES/malaya-5.1.1-py3-none-any.whl" \
    --sastrawi "$SOURCES/Sastrawi-1.0.1-py2.py3-none-any.whl" --out "$MSONLY"
fi
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
