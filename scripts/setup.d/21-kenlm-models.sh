#!/usr/bin/env bash
# Default KenLM + SentencePiece models for the 29 languages, trained from ../shared/data
# (NTREX-128, lingua sentences, Tatoeba; never FLORES-200), plus for en ru pl cs uk ko the Debian
# prose (and for uk the UA-GEC corpus) that 20-kenlm-text.sh extracted into asset_dir("kenlm-text"),
# into asset_dir("kenlm") with a manifest.json of the training text (files, lines, sha256, packages and licences)
# and each model's chosen vocabulary, normalisation (CCNet's, or keep_marks recorded in <lang>.norm.json)
# SentencePiece character coverage and SentencePiece model type (CCNet's unigram or BPE), each
# picked by validation AUC on held-out lines.
# The held-out perplexities give the default thresholds, written beside the models
# (perplexity_thresholds.yaml, stamped with the manifest's recipe; the stage's default).
# asset_dir("kenlm") is a symlink to a versioned sibling (kenlm.<recipe>.<UTC time>): the build fills a
# hidden .kenlm.*.partial directory and swaps the link only when the whole set is there, so a running
# pipeline keeps the set it started with (the replaced version is kept; older ones are removed) and
# a killed build changes nothing. An older set-up's plain directory becomes the kept version.
# Skips when the manifest matches (the recipe hash covers the extra text's sha256).
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python -m filters.lm_default_models
