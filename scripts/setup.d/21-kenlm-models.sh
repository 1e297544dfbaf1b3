#!/usr/bin/env bash
# Default KenLM + SentencePiece models for the 29 languages, trained from ../shared/data
# (NTREX-128, lingua sentences, Tatoeba; never FLORES-200), plus for en ru pl cs uk ko the Debian
# prose (and for uk the UA-GEC corpus) that 20-kenlm-text.sh extracted into asset_dir("kenlm-text"),
# into asset_dir("kenlm") with a manifest.json of the training text (files, lines, sha256, packages and licences)
# and each model's chosen vocabulary, normalisation (CCNet's, or keep_marks recorded in <lang>.norm.json)
# SentencePiece character coverage and SentencePiece model type (CCNet's unigram or BPE), each
# picked by validation AUC on held-out lines.
# Skips when the manifest matches (the recipe hash covers the extra text's sha256).
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python -m filters.lm_default_models
