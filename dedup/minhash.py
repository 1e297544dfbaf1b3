"""MinHash signatures, vectorised over a batch, bit-compatible with datasketch.

The permutations are datasketch's own (``datasketch.MinHash(num_perm, seed, scheme).permutations``),
and the arithmetic is datasketch's for the chosen scheme:

* ``legacy`` (datasketch < 2.0 and the default of most published indexes):
  ``((a * h + b) mod 2^64) mod (2^61 - 1)``, masked to 32 bits, stored in uint64;
* ``affine64`` (datasketch >= 2.0): ``a * fmix64(h) + b`` mod 2^64.

So ``datasketch.LeanMinHash(seed=seed, hashvalues=ours, scheme=scheme)`` gives the same Jaccard
estimates as a datasketch MinHash fed the same shingle hashes (see tests/test_minhash.py).
The Mersenne reduction uses ``x mod p = (x & p) + (x >> 61)`` (one conditional subtraction),
which equals numpy's ``%`` on uint64 and is several times faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Literal

import numpy as np

from dedup.hashing import combine_rows, fmix64
from dedup.kernels import minhash_affine64, minhash_legacy
from dedup.normalize import normalize_many
from dedup.shingles import batch_shingle_hashes

Scheme = Literal["legacy", "affine64"]
MERSENNE = np.uint64((1 << 61) - 1)
MAX_HASH_32 = np.uint64((1 << 32) - 1)
_CHUNK_CELLS = 131_072  # shingles x permutations per vectorised step (1 MB of uint64: stays in cache)


def lsh_params(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
               false_negative_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimising weighted FP+FN probability: datasketch's own optimiser."""
    from datasketch.lsh import _optimal_param

    return tuple(_optimal_param(threshold, num_perm, false_positive_weight, false_negative_weight))  # type: ignore


class MinHasher:
    """Signatures for batches of documents; one instance per process (permutations cached)."""

    def __init__(self, num_perm: int = 112, seed: int = 1, scheme: Scheme = "legacy", ngram: int = 5) -> None:
        if scheme not in ("legacy", "affine64"):
            raise ValueError(f"unsupported MinHash scheme {scheme!r} (legacy or affine64)")
        self.num_perm, self.seed, self.scheme, self.ngram = num_perm, seed, scheme, ngram

    @cached_property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        from datasketch import MinHash

        a, b = MinHash(num_perm=self.num_perm, seed=self.seed, scheme=self.scheme).permutations
        return np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)

    @property
    def empty_value(self) -> np.uint64:
        return MAX_HASH_32 if self.scheme == "legacy" else np.uint64((1 << 64) - 1)

    def _permute(self, h: np.ndarray) -> np.ndarray:
        """Permuted values of shingle hashes ``h``: (len(h) x num_perm), in-place arithmetic."""
        a, b = self.permutations
        x = np.empty((len(h), self.num_perm), dtype=np.uint64)
        with np.errstate(over="ignore"):
            if self.scheme == "affine64":
                np.multiply(fmix64(h)[:, None], a, out=x)
                x += b
                return x
            np.multiply(h[:, None], a, out=x)
            x += b
            high = x >> np.uint64(61)
            x &= MERSENNE
            x += high
            over = x >= MERSENNE
            if over.any():
                x[over] -= MERSENNE
            x &= MAX_HASH_32
            return x

    def from_hashes(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures (n_docs x num_perm, uint64) from flat shingle hashes and per-doc offsets."""
        sig = np.full((len(offsets) - 1, self.num_perm), self.empty_value, dtype=np.uint64)
        a, b = self.permutations
        kernel = minhash_legacy if self.scheme == "legacy" else minhash_affine64
        kernel(np.ascontiguousarray(hashes, dtype=np.uint64), np.ascontiguousarray(offsets, dtype=np.int64), a, b,
               sig)
        return sig

    def from_hashes_numpy(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """The same signatures with NumPy only (the reference the compiled kernel must equal)."""
        n_docs = len(offsets) - 1
        sig = np.full((n_docs, self.num_perm), self.empty_value, dtype=np.uint64)
        lengths = np.diff(offsets)
        step = max(1, _CHUNK_CELLS // self.num_perm)
        doc = 0
        while doc < n_docs:
            end = doc + 1  # whole documents per chunk, at least one
            while end < n_docs and offsets[end + 1] - offsets[doc] <= step:
                end += 1
            lo, hi = offsets[doc], offsets[end]
            if hi > lo:
                phv = self._permute(hashes[lo:hi])
                nonempty = np.flatnonzero(lengths[doc:end] > 0)
                starts = offsets[doc:end][nonempty] - lo
                sig[doc + nonempty] = np.minimum.reduceat(phv, starts, axis=0)
            doc = end
        return sig

    def signatures(self, texts: Sequence[str], languages: Sequence[str | None], batch: int = 4096) -> np.ndarray:
        """Normalise, shingle and sign raw texts (``batch`` documents at a time bounds memory)."""
        out = np.empty((len(texts), self.num_perm), dtype=np.uint64)
        for lo in range(0, len(texts), batch):
            hi = min(len(texts), lo + batch)
            hashes, offsets = batch_shingle_hashes(normalize_many([texts[i] for i in range(lo, hi)]),
                                                   [languages[i] for i in range(lo, hi)], self.ngram)
            out[lo:hi] = self.from_hashes(hashes, offsets)
        return out


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs x bands) uint64: one key per band; equal keys = equal rows in that band."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations, "
                         f"signatures have {signatures.shape[1]}")
    out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for j in range(bands):
        out[:, j] = combine_rows(signatures[:, j * rows:(j + 1) * rows])
    return out
