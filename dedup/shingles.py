"""Shingling: word n-grams (default 5, FineWeb/RefineWeb), character n-grams for languages
written without spaces between words (zh, ja, th).

Word segmentation for zh/ja/th is not used here (no segmenter was committed when this was
written); character 5-grams of the normalised text, whitespace removed, stand in: a Chinese
word is ~1.5 characters, so a 5-character shingle spans about three words.

Shingles are returned as uint64 hashes, never as strings, for a whole batch at once:
``batch_shingle_hashes`` gives one flat array plus per-document offsets. A document with fewer
tokens than ``n`` gives one shingle made of all its tokens; an empty one gives none.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedup.hashing import fmix64, hash_codepoints, hash_tokens, multiplier

CHAR_NGRAM_LANGUAGES = frozenset({"zh", "ja", "th"})


def uses_chars(language: str | None) -> bool:
    return (language or "") in CHAR_NGRAM_LANGUAGES


def token_hashes(normalized: str, language: str | None) -> np.ndarray:
    """uint64 per token: words split on whitespace, or non-space characters for zh/ja/th."""
    if uses_chars(language):
        codes = np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32)
        codes = codes[(codes != 32) & (codes != 10)]
        return hash_codepoints(codes)
    return hash_tokens(normalized.split())


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine token hashes of consecutive n-grams, per document; returns (hashes, offsets)."""
    lengths = np.diff(offsets)
    total = len(tokens)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    acc = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            shifted = np.zeros(total, dtype=np.uint64)
            same = np.zeros(total, dtype=bool)
            if j < total:
                shifted[: total - j] = tokens[j:]
                same[: total - j] = doc[j:] == doc[: total - j]
            acc += np.where(same, shifted * multiplier(j), np.uint64(0))
    starts = offsets[:-1]
    pos = np.arange(total)
    full = np.zeros(total, dtype=bool)
    if total >= n:
        full[: total - n + 1] = doc[n - 1:] == doc[: total - n + 1]
    short_start = np.zeros(total, dtype=bool)
    short_docs = (lengths > 0) & (lengths < n)
    short_start[starts[short_docs]] = True
    valid = full | short_start
    counts = np.bincount(doc[valid[pos]] if total else np.zeros(0, dtype=np.int64), minlength=len(lengths))
    out_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    return fmix64(acc[valid]), out_offsets


def batch_shingle_hashes(normalized: Sequence[str], languages: Sequence[str | None], n: int = 5
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many normalised documents: (flat uint64 array, offsets of len(docs)+1).

    Words of all space-delimited documents are hashed in one vectorised call.
    """
    lengths = np.zeros(len(normalized), dtype=np.int64)
    words: list[str] = []
    char_parts: dict[int, np.ndarray] = {}
    word_spans: dict[int, tuple[int, int]] = {}
    for i, (text, lang) in enumerate(zip(normalized, languages)):
        if uses_chars(lang):
            char_parts[i] = token_hashes(text, lang)
            lengths[i] = len(char_parts[i])
        else:
            split = text.split()
            word_spans[i] = (len(words), len(words) + len(split))
            words.extend(split)
            lengths[i] = len(split)
    word_hashes = hash_tokens(words)
    if not char_parts:
        tokens = word_hashes
    else:
        pieces = [char_parts[i] if i in char_parts else word_hashes[word_spans[i][0]:word_spans[i][1]]
                  for i in range(len(normalized))]
        tokens = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)
    offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return ngram_hashes(tokens, offsets, n)
