"""Exact verification of candidate pairs: the true Jaccard similarity of two documents'
shingle sets, recomputed from their text for the (few) documents that sit on a candidate edge.

LSH only proposes candidates; MinHash estimates carry noise (±0.04 at 112 permutations), so a
pair near the threshold is a coin flip under estimation. The exact check makes the pair
decision "J >= threshold" exactly, for every pair whose two texts are at hand. Pairs with a
published document (cross-run index, text not re-read) fall back to the signature estimate.

The pieces are plain functions (``shingle_sets``, ``set_jaccard``, ``edge_decisions``) so the
in-process path (``ShingleJaccard`` + dedup/cluster.py ``verify``) and the Ray path
(dedup/ray_dedup.py, one call per partition of the edges) decide every edge identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.lsh import estimated_jaccard
from dedup.normalize import normalize_many
from dedup.shingles import batch_shingle_hashes


def shingle_sets(texts: Sequence[str | None], languages: Sequence[str | None], ngram: int = 5) -> list[np.ndarray]:
    """Sorted unique shingle hashes per document (a missing text counts as empty).

    Identical (text, language) pairs are shingled once and share one array: exact copies are
    the commonest candidate pairs on the web (mirrors, syndication, re-crawls)."""
    if not len(texts):
        return []
    first: dict[tuple[str, str | None], int] = {}
    slot = [first.setdefault((t or "", lang), len(first)) for t, lang in zip(texts, languages)]
    keys = list(first)
    hashes, offsets = batch_shingle_hashes(normalize_many([t for t, _ in keys]), [lang for _, lang in keys], ngram)
    sets = [np.unique(hashes[offsets[k]:offsets[k + 1]]) for k in range(len(keys))]
    return [sets[k] for k in slot]


def set_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|a ∩ b| / |a ∪ b| of two sorted unique hash arrays (1.0 for two empty sets)."""
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


def edge_decisions(exact_j: np.ndarray, sig_a: np.ndarray | None, sig_b: np.ndarray | None,
                   min_jaccard: float, exact_min: float) -> np.ndarray:
    """Keep mask per edge: exact Jaccard >= exact_min where known (not NaN), else the
    signature estimate >= min_jaccard (0: kept unchecked; then signatures may be None)."""
    keep = np.ones(len(exact_j), dtype=bool)
    known = ~np.isnan(exact_j)
    keep[known] = exact_j[known] >= exact_min
    rest = np.flatnonzero(~known)
    if min_jaccard > 0 and len(rest):
        assert sig_a is not None and sig_b is not None
        keep[rest] = estimated_jaccard(sig_a[rest], sig_b[rest]) >= min_jaccard
    return keep


class ShingleJaccard:
    """``(src, dst) -> exact Jaccard`` per edge; NaN where a node's text is not known here."""

    def __init__(self, nodes: np.ndarray, texts: Sequence[str | None], languages: Sequence[str | None],
                 ngram: int = 5) -> None:
        self.nodes = nodes
        self.index = {int(n): i for i, n in enumerate(nodes)}
        self.texts, self.languages, self.ngram = texts, languages, ngram
        self._sets: dict[int, np.ndarray] = {}

    def table(self) -> pa.Table:
        """(node, text, language) of every known document: what the Ray path ships to its
        workers (a null text becomes "", which is known and empty, as here)."""
        arrow = getattr(self.texts, "arrow_rows", None)
        text = arrow() if arrow is not None else pa.array(list(self.texts), pa.string())
        text = pc.fill_null(text.cast(pa.string()), "")
        return pa.table({"node": pa.array(self.nodes, pa.int64()), "text": text,
                         "language": pa.array(list(self.languages), pa.string())})

    def _load(self, nodes: set[int]) -> None:
        todo = sorted(n for n in nodes if n in self.index and n not in self._sets)
        rows = [self.index[n] for n in todo]
        sets = shingle_sets([self.texts[r] for r in rows], [self.languages[r] for r in rows], self.ngram)
        self._sets.update(zip(todo, sets))

    def __call__(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        self._load({int(x) for x in src} | {int(x) for x in dst})
        out = np.full(len(src), np.nan)
        for k, (a, b) in enumerate(zip(src.tolist(), dst.tolist())):
            sa, sb = self._sets.get(a), self._sets.get(b)
            if sa is not None and sb is not None:
                out[k] = set_jaccard(sa, sb)
        return out
