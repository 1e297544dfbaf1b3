"""LSH banding into candidate edges, for one partition of band rows (local or one Ray group).

Every document is a *node* with an int64 key (``node_keys``). Documents that share a band key
in any band are candidates; each (band, key) bucket becomes edges between members that are
close in node order (all pairs of a small bucket, a connected band of pairs in a big one).
Edges are then verified (dedup/cluster.py ``verify``).
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


def bucket_edges(bands: np.ndarray, keys: np.ndarray, nodes: np.ndarray, window: int = 8
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Candidate edges of every (band, key) bucket with two or more nodes.

    ``bands``, ``keys``, ``nodes`` are parallel 1-D arrays (one row per document and band).
    Members of a bucket, sorted by node, are paired with the next ``window - 1`` members: every
    pair of a small bucket (all that verification needs to keep a cluster connected when one
    member is a weaker copy), a band of pairs (still connected) in a big one, so the edge count
    stays linear. Returns (src, dst) with src < dst, deduplicated and sorted.
    """
    if len(nodes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((nodes, keys, bands))
    b, k, n = bands[order], keys[order], nodes[order]
    srcs, dsts = [], []
    for d in range(1, window):
        same = (b[d:] == b[:-d]) & (k[d:] == k[:-d])
        if not same.any():
            break
        srcs.append(n[:-d][same])
        dsts.append(n[d:][same])
    if not srcs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return unique_edges(np.concatenate(srcs), np.concatenate(dsts))


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
