"""LSH banding into candidate edges, for one partition of band rows (local or one Ray group).

Every document is a *node* with an int64 key (``node_keys``). Documents that share a band key
in any band are candidates; each (band, key) bucket becomes a star of edges from its smallest
node to every other member (n-1 edges instead of n(n-1)/2 pairs, same components). An edge
is kept only when the two signatures estimate Jaccard >= ``verify_min_jaccard``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PUBLISHED_BIT = 0
NEW_BIT = np.int64(1 << 62)
_KEY_MASK = np.uint64((1 << 62) - 1)


def node_keys(ids: Sequence[str], new: bool | np.ndarray = True) -> np.ndarray:
    """int64 node key per document id: a 62-bit hash of the id, plus bit 62 for new documents.

    The smallest key of a cluster is the document kept, so documents already published
    (``new=False``) always win over new ones, and among equals the choice depends only on ids.
    """
    h = pd.util.hash_array(np.asarray(ids, dtype=object), categorize=False) & _KEY_MASK
    keys = h.astype(np.int64)
    return keys | np.where(np.asarray(new), NEW_BIT, np.int64(PUBLISHED_BIT))


def bucket_edges(bands: np.ndarray, keys: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Star edges (smallest node -> member) of every (band, key) bucket with two or more nodes.

    ``bands``, ``keys``, ``nodes`` are parallel 1-D arrays (one row per document and band).
    Returns (src, dst) with src < dst, deduplicated and sorted.
    """
    if len(nodes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((nodes, keys, bands))
    b, k, n = bands[order], keys[order], nodes[order]
    start = np.ones(len(n), dtype=bool)
    start[1:] = (b[1:] != b[:-1]) | (k[1:] != k[:-1])
    group = np.cumsum(start) - 1
    head = n[start][group]
    mask = ~start & (n != head)
    return unique_edges(head[mask], n[mask])


def unique_edges(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orient edges small -> large, drop self-loops and repeats, sort."""
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keep = lo != hi
    pairs = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0) if keep.any() else np.zeros((0, 2), np.int64)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise fraction of equal MinHash values (datasketch's ``MinHash.jaccard``)."""
    return (sig_a == sig_b).mean(axis=1) if len(sig_a) else np.zeros(0)


def band_rows(nodes: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten an (n x bands) key matrix into parallel (band, key, node) rows."""
    n, n_bands = keys.shape
    return (np.tile(np.arange(n_bands, dtype=np.int64), n), keys.reshape(-1), np.repeat(nodes, n_bands))
