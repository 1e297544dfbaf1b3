"""Near-duplicate clusters of one language partition, in-process (tests, local runner).

Rule (documented in the README): a cluster keeps exactly one document, the one with the
smallest node key (dedup/lsh.py ``node_keys``): a document already published by an earlier run
always wins, otherwise the choice depends only on document ids. ``dup_cluster_id`` is that
node key; ``dup_cluster_size`` counts every member, published ones included. The Ray path
(dedup/ray_dedup.py) computes the same three columns with the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.components import star_components
from dedup.lsh import band_rows, bucket_edges, unique_edges
from dedup.verify import edge_decisions


@dataclass
class Clusters:
    cluster_id: np.ndarray  # int64 per new document
    cluster_size: np.ndarray  # int64 per new document
    keep: np.ndarray  # bool per new document


ExactJaccard = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (src, dst) -> J per edge, NaN if unknown


def verify(src: np.ndarray, dst: np.ndarray, sig_of: dict[int, np.ndarray], min_jaccard: float,
           exact: ExactJaccard | None = None, exact_min: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Keep the edges whose exact Jaccard is >= exact_min (where ``exact`` knows both texts),
    or else whose signatures estimate Jaccard >= min_jaccard (0 keeps them unchecked)."""
    if len(src) == 0:
        return src, dst
    j = exact(src, dst) if exact is not None else np.full(len(src), np.nan)
    rest = np.flatnonzero(np.isnan(j))
    sig_a = sig_b = None
    if min_jaccard > 0 and len(rest):
        width = len(next(iter(sig_of.values())))
        sig_a, sig_b = np.zeros((len(src), width), np.uint64), np.zeros((len(src), width), np.uint64)
        sig_a[rest] = np.stack([sig_of[int(x)] for x in src[rest]])
        sig_b[rest] = np.stack([sig_of[int(x)] for x in dst[rest]])
    keep = edge_decisions(j, sig_a, sig_b, min_jaccard, exact_min)
    return src[keep], dst[keep]


def assign(nodes: np.ndarray, roots: dict[int, int]) -> Clusters:
    """Cluster columns for ``nodes`` from a node -> root map (nodes absent are singletons)."""
    cid = np.array([roots.get(int(n), int(n)) for n in nodes], dtype=np.int64)
    members: dict[int, int] = {}
    for root in roots.values():
        members[root] = members.get(root, 0) + 1
    size = np.array([members.get(int(c), 1) for c in cid], dtype=np.int64)
    return Clusters(cid, size, cid == nodes)


def candidate_edges(nodes: np.ndarray, keys: np.ndarray, sigs: np.ndarray, extra_src: np.ndarray | None = None,
                    extra_dst: np.ndarray | None = None, extra_sigs: dict[int, np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """LSH candidate edges among new documents plus those to published ones, and all signatures."""
    src, dst = bucket_edges(*band_rows(nodes, keys))
    sig_of = {int(n): s for n, s in zip(nodes, sigs)}
    if extra_src is not None and extra_dst is not None and len(extra_src):
        sig_of.update(extra_sigs or {})
        src, dst = unique_edges(np.concatenate([src, extra_src]), np.concatenate([dst, extra_dst]))
    return src, dst, sig_of


def cluster_local(nodes: np.ndarray, keys: np.ndarray, sigs: np.ndarray, min_jaccard: float,
                  extra_src: np.ndarray | None = None, extra_dst: np.ndarray | None = None,
                  extra_sigs: dict[int, np.ndarray] | None = None, exact: ExactJaccard | None = None,
                  exact_min: float = 0.8) -> Clusters:
    """Clusters of new documents (``nodes``, band ``keys``, signatures ``sigs``).

    ``extra_*`` are candidate edges to published documents (cross-run index) and their
    signatures; every edge is verified by ``verify`` (exact Jaccard where known).
    """
    src, dst, sig_of = candidate_edges(nodes, keys, sigs, extra_src, extra_dst, extra_sigs)
    src, dst = verify(src, dst, sig_of, min_jaccard, exact, exact_min)
    return assign(nodes, star_components(src, dst))


def by_size(distributed: Callable[..., Clusters], min_docs: int) -> Callable[..., Clusters]:
    """``distributed`` for languages of at least ``min_docs`` new documents, ``cluster_local``
    below: both give the same clusters, and a small language is not worth a shuffle."""

    def cluster(nodes: np.ndarray, *args: Any, **kwargs: Any) -> Clusters:
        fn = distributed if len(nodes) >= min_docs else cluster_local
        return fn(nodes, *args, **kwargs)

    return cluster
