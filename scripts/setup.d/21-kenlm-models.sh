#!/usr/bin/env bash
# Default KenLM + SentencePiece models for the 29 languages, trained from ../shared/data
# (NTREX-128, lingua sentences, Tatoeba; never FLORES-200) into asset_dir("kenlm") with a
# manifest.json of the training text (files, lines, sha256). Skips when the manifest matches.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python -m filters.lm_default_models
