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

from dedup.hashing import MULTIPLIERS, fmix64, hash_codepoints, multiplier
from dedup.kernels import ngrams, word_hashes

CHAR_NGRAM_LANGUAGES = frozenset({"zh", "ja", "th"})


def uses_chars(language: str | None) -> bool:
    return (language or "") in CHAR_NGRAM_LANGUAGES


def token_hashes(normalized: str, language: str | None) -> np.ndarray:
    """uint64 per token: words split on whitespace, or non-space characters for zh/ja/th."""
    if uses_chars(language):
        codes = np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32)
        codes = codes[(codes != 32) & (codes != 10)]
        return hash_codepoints(codes)
    return batch_word_hashes([normalized])[0]


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine token hashes of consecutive n-grams, per document; returns (hashes, offsets)."""
    out = np.empty(len(tokens), dtype=np.uint64)
    out_offsets = np.empty(len(offsets), dtype=np.int64)
    ngrams(np.ascontiguousarray(tokens, dtype=np.uint64), np.ascontiguousarray(offsets, dtype=np.int64), n,
           MULTIPLIERS, out, out_offsets)
    return out[: out_offsets[-1]], out_offsets


def ngram_hashes_numpy(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of ``ngram_hashes`` (the reference the compiled kernel must equal)."""
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
    full = np.zeros(total, dtype=bool)
    if total >= n:
        full[: total - n + 1] = doc[n - 1:] == doc[: total - n + 1]
    short_start = np.zeros(total, dtype=bool)
    short_docs = (lengths > 0) & (lengths < n)
    short_start[starts[short_docs]] = True
    valid = full | short_start
    counts = np.bincount(doc[valid], minlength=len(lengths))
    out_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    return fmix64(acc[valid]), out_offsets


def batch_word_hashes(normalized: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """uint64 per whitespace-separated word of many normalised texts, in one compiled pass."""
    encoded = [t.encode("utf-8") for t in normalized]
    doc_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=doc_offsets[1:])
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    out = np.empty(len(buf) // 2 + 1, dtype=np.uint64)  # a word is >= 1 byte plus a separator
    out_offsets = np.empty(len(encoded) + 1, dtype=np.int64)
    word_hashes(buf, doc_offsets, out, out_offsets)
    return out[: out_offsets[-1]], out_offsets


def batch_shingle_hashes(normalized: Sequence[str], languages: Sequence[str | None], n: int = 5
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many normalised documents: (flat uint64 array, offsets of len(docs)+1).

    Words of space-delimited documents are hashed in one compiled pass (FNV-1a + fmix64 of
    their UTF-8 bytes); zh/ja/th documents use per-character hashes.
    """
    if not any(uses_chars(lang) for lang in languages):
        tokens, offsets = batch_word_hashes(normalized)
        return ngram_hashes(tokens, offsets, n)
    parts = [token_hashes(t, lang) for t, lang in zip(normalized, languages)]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    tokens = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return ngram_hashes(tokens, offsets, n)
