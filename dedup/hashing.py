"""Vectorised 64-bit hashing helpers shared by shingling, LSH banding and substring windows.

Tokens are hashed with pandas' SipHash (``pandas.util.hash_array``, fixed key, so hashes are
stable across processes and runs); sequences of token hashes are combined with odd 64-bit
multipliers and finished with the MurmurHash3 64-bit finaliser (a bijection on uint64).
All arithmetic is uint64 and wraps, which is the intended modulo 2^64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_U = np.uint64
# Odd 64-bit multipliers for position j in a combined sequence (SplitMix64 outputs, fixed).
MULTIPLIERS = _MULTS = np.array(
    [0x9E3779B97F4A7C15 ^ (0xBF58476D1CE4E5B9 * (j + 1) % (1 << 64)) | 1 for j in range(256)], dtype=np.uint64)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, element-wise."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> _U(33))
        h = h * _U(0xFF51AFD7ED558CCD)
        h = h ^ (h >> _U(33))
        h = h * _U(0xC4CEB9FE1A85EC53)
        return h ^ (h >> _U(33))


def hash_tokens(tokens: Sequence[str]) -> np.ndarray:
    """One uint64 per token string."""
    if len(tokens) == 0:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(np.asarray(tokens, dtype=object), categorize=False)


def hash_codepoints(codes: np.ndarray) -> np.ndarray:
    """One uint64 per Unicode code point (character n-gram languages)."""
    return fmix64(codes.astype(np.uint64) + _U(0x632BE59BD9B4E019))


def multiplier(j: int) -> np.uint64:
    return _MULTS[j]


def combine_rows(values: np.ndarray) -> np.ndarray:
    """Hash each row of a 2-D uint64 array into one uint64 (LSH band keys)."""
    acc = np.zeros(values.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(values.shape[1]):
            acc += values[:, j] * _MULTS[j]
    return fmix64(acc)
