"""Cosine and Artetxe–Schwenk ratio-margin scores of aligned embedding pairs (numpy only).

Ratio margin (Artetxe & Schwenk 2019, "Margin-based parallel corpus mining"; used for
WikiMatrix and CCMatrix):

    margin(x, y) = cos(x, y) / ( sum_{z in NN_k(x)} cos(x, z) / 2k + sum_{z in NN_k(y)} cos(y, z) / 2k )

``NN_k(x)`` are the k targets nearest to source x and ``NN_k(y)`` the k sources nearest to
target y, both within the scoring window. A true translation stands out from its neighbours
(margin > 1); a hub sentence close to everything does not, even with a high cosine.
"""

from __future__ import annotations

import numpy as np


def normalise(emb: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.where(norms == 0, 1.0, norms)


def cosine_scores(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """cos(src_i, tgt_i) for each aligned row i."""
    return np.einsum("ij,ij->i", normalise(src), normalise(tgt))


def _mean_top_k(sim: np.ndarray, k: int) -> np.ndarray:
    """Mean of the k largest values of each row."""
    top = np.partition(sim, sim.shape[1] - k, axis=1)[:, -k:]
    return top.mean(axis=1)


def margin_scores(src: np.ndarray, tgt: np.ndarray, k: int) -> np.ndarray:
    """Ratio margin of each aligned pair (src_i, tgt_i) against the window's other rows.

    ``k`` is capped at the window size. A window of one pair has margin 1 by definition.
    """
    if src.shape != tgt.shape:
        raise ValueError(f"src and tgt embeddings differ in shape: {src.shape} vs {tgt.shape}")
    n = src.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    k = min(k, n)
    x, y = normalise(src.astype(np.float64)), normalise(tgt.astype(np.float64))
    sim = x @ y.T  # sim[i, j] = cos(x_i, y_j)
    fwd = _mean_top_k(sim, k)      # x_i against its k nearest targets
    bwd = _mean_top_k(sim.T, k)    # y_i against its k nearest sources
    denom = (fwd + bwd) / 2.0
    return np.diag(sim) / np.where(denom == 0, 1.0, denom)
