"""Near-duplicate clusters of one language partition, in-process (tests, local runner).

Rule (documented in the README): a cluster keeps exactly one document, the one with the
smallest node key (dedup/lsh.py ``node_keys``): a document already published by an earlier run
always wins, otherwise the choice depends only on document ids. ``dup_cluster_id`` is that
node key; ``dup_cluster_size`` counts every member, published ones included. The Ray path
(dedup/ray_dedup.py) computes the same three columns with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.components import star_components
from dedup.lsh import band_rows, bucket_edges, estimated_jaccard, unique_edges


@dataclass
class Clusters:
    cluster_id: np.ndarray  # int64 per new document
    cluster_size: np.ndarray  # int64 per new document
    keep: np.ndarray  # bool per new document


def verify(src: np.ndarray, dst: np.ndarray, sig_of: dict[int, np.ndarray], min_jaccard: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Keep the edges whose signatures estimate Jaccard >= min_jaccard."""
    if min_jaccard <= 0 or len(src) == 0:
        return src, dst
    a = np.stack([sig_of[int(x)] for x in src])
    b = np.stack([sig_of[int(x)] for x in dst])
    ok = estimated_jaccard(a, b) >= min_jaccard
    return src[ok], dst[ok]


def assign(nodes: np.ndarray, roots: dict[int, int]) -> Clusters:
    """Cluster columns for ``nodes`` from a node -> root map (nodes absent are singletons)."""
    cid = np.array([roots.get(int(n), int(n)) for n in nodes], dtype=np.int64)
    members: dict[int, int] = {}
    for root in roots.values():
        members[root] = members.get(root, 0) + 1
    size = np.array([members.get(int(c), 1) for c in cid], dtype=np.int64)
    return Clusters(cid, size, cid == nodes)


def cluster_local(nodes: np.ndarray, keys: np.ndarray, sigs: np.ndarray, min_jaccard: float,
                  extra_src: np.ndarray | None = None, extra_dst: np.ndarray | None = None,
                  extra_sigs: dict[int, np.ndarray] | None = None) -> Clusters:
    """Clusters of new documents (``nodes``, band ``keys``, signatures ``sigs``).

    ``extra_*`` are candidate edges to published documents (cross-run index) and their
    signatures; they are verified like the rest.
    """
    src, dst = bucket_edges(*band_rows(nodes, keys))
    sig_of = {int(n): s for n, s in zip(nodes, sigs)}
    if extra_src is not None and extra_dst is not None and len(extra_src):
        sig_of.update(extra_sigs or {})
        src, dst = unique_edges(np.concatenate([src, extra_src]), np.concatenate([dst, extra_dst]))
    src, dst = verify(src, dst, sig_of, min_jaccard)
    return assign(nodes, star_components(src, dst))
