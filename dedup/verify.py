"""Exact verification of candidate pairs: the true Jaccard similarity of two documents'
shingle sets, recomputed from their text for the (few) documents that sit on a candidate edge.

LSH only proposes candidates; MinHash estimates carry noise (±0.04 at 112 permutations), so a
pair near the threshold is a coin flip under estimation. The exact check makes the pair
decision "J >= threshold" exactly, for every pair whose two texts are at hand. Pairs with a
published document (cross-run index, text not re-read) fall back to the signature estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedup.normalize import normalize
from dedup.shingles import batch_shingle_hashes


class ShingleJaccard:
    """``(src, dst) -> exact Jaccard`` per edge; NaN where a node's text is not known here."""

    def __init__(self, nodes: np.ndarray, texts: Sequence[str | None], languages: Sequence[str | None],
                 ngram: int = 5) -> None:
        self.index = {int(n): i for i, n in enumerate(nodes)}
        self.texts, self.languages, self.ngram = texts, languages, ngram
        self._sets: dict[int, np.ndarray] = {}

    def _load(self, nodes: set[int]) -> None:
        todo = sorted(n for n in nodes if n in self.index and n not in self._sets)
        if not todo:
            return
        rows = [self.index[n] for n in todo]
        hashes, offsets = batch_shingle_hashes([normalize(self.texts[r] or "") for r in rows],
                                               [self.languages[r] for r in rows], self.ngram)
        for k, n in enumerate(todo):
            self._sets[n] = np.unique(hashes[offsets[k]:offsets[k + 1]])

    def __call__(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        self._load({int(x) for x in src} | {int(x) for x in dst})
        out = np.full(len(src), np.nan)
        for k, (a, b) in enumerate(zip(src.tolist(), dst.tolist())):
            sa, sb = self._sets.get(a), self._sets.get(b)
            if sa is None or sb is None:
                continue
            inter = len(np.intersect1d(sa, sb, assume_unique=True))
            union = len(sa) + len(sb) - inter
            out[k] = inter / union if union else 1.0
        return out
