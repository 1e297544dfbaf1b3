"""Compiled inner loops (numba): the per-cell work of MinHash is a few integer operations, so
NumPy's one-pass-per-operation arrays are memory-bound; a fused loop keeps everything in
registers (~10x faster here). Every kernel has a NumPy twin in the tests that it must equal.

All arithmetic is uint64 and wraps (modulo 2^64), exactly as datasketch's NumPy code does.
Constants are module-level ``np.uint64`` so numba never promotes to float.
"""

from __future__ import annotations

import numba
import numpy as np

_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64((1 << 32) - 1)
_S61 = np.uint64(61)
_S33 = np.uint64(33)
_F1 = np.uint64(0xFF51AFD7ED558CCD)
_F2 = np.uint64(0xC4CEB9FE1A85EC53)
_ZERO = np.uint64(0)


@numba.njit(cache=True, nogil=True, inline="always")
def _fmix(h: np.uint64) -> np.uint64:
    h ^= h >> _S33
    h *= _F1
    h ^= h >> _S33
    h *= _F2
    return h ^ (h >> _S33)


@numba.njit(cache=True, nogil=True)
def minhash_legacy(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray,
                   out: np.ndarray) -> None:
    """out[d, k] = min over doc d's hashes h of ((a[k]*h + b[k]) mod 2^64 mod (2^61-1)) & (2^32-1)."""
    n_perm = a.shape[0]
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for i in range(offsets[d], offsets[d + 1]):
            h = hashes[i]
            for k in range(n_perm):
                x = h * a[k] + b[k]
                x = (x & _MERSENNE) + (x >> _S61)
                if x >= _MERSENNE:
                    x -= _MERSENNE
                x &= _MASK32
                if x < row[k]:
                    row[k] = x


@numba.njit(cache=True, nogil=True)
def minhash_affine64(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray,
                     out: np.ndarray) -> None:
    """out[d, k] = min over doc d's hashes h of a[k]*fmix64(h) + b[k] (mod 2^64)."""
    n_perm = a.shape[0]
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for i in range(offsets[d], offsets[d + 1]):
            h = _fmix(hashes[i])
            for k in range(n_perm):
                x = h * a[k] + b[k]
                if x < row[k]:
                    row[k] = x


@numba.njit(cache=True, nogil=True)
def ngrams(tokens: np.ndarray, offsets: np.ndarray, n: int, mults: np.ndarray,
           out: np.ndarray, out_offsets: np.ndarray) -> None:
    """Per document: fmix64(sum_j tokens[i+j] * mults[j]) for every n-gram start i; a document
    shorter than n (but not empty) gives one shingle of all its tokens. ``out`` must be large
    enough (len(tokens)); ``out_offsets`` gets the per-document offsets into it."""
    w = 0
    out_offsets[0] = 0
    for d in range(offsets.shape[0] - 1):
        lo, hi = offsets[d], offsets[d + 1]
        length = hi - lo
        if 0 < length < n:
            acc = _ZERO
            for j in range(length):
                acc += tokens[lo + j] * mults[j]
            out[w] = _fmix(acc)
            w += 1
        else:
            for i in range(lo, hi - n + 1):
                acc = _ZERO
                for j in range(n):
                    acc += tokens[i + j] * mults[j]
                out[w] = _fmix(acc)
                w += 1
        out_offsets[d + 1] = w


_P = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime
_FNV = np.uint64(0xCBF29CE484222325)
_SPACE = np.uint8(32)
_NEWLINE = np.uint8(10)


@numba.njit(cache=True, nogil=True)
def word_hashes(buf: np.ndarray, doc_offsets: np.ndarray, out: np.ndarray, out_offsets: np.ndarray) -> None:
    """Hash every word of UTF-8 documents in one pass: words are maximal runs of bytes other than
    space and newline (what ``str.split()`` gives on normalised text); each word's hash is
    fmix64(FNV-1a of its bytes). ``out_offsets`` gets the per-document word offsets."""
    w = 0
    out_offsets[0] = 0
    for d in range(doc_offsets.shape[0] - 1):
        h = _FNV
        in_word = False
        for i in range(doc_offsets[d], doc_offsets[d + 1]):
            c = buf[i]
            if c == _SPACE or c == _NEWLINE:
                if in_word:
                    out[w] = _fmix(h)
                    w += 1
                    h = _FNV
                    in_word = False
            else:
                h = (h ^ np.uint64(c)) * _P
                in_word = True
        if in_word:
            out[w] = _fmix(h)
            w += 1
        out_offsets[d + 1] = w
