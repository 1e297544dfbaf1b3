"""Connected components of the candidate graph by alternating large-star / small-star rounds
(Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014).

Each round is a function of the edges *grouped by their first node*, so it runs on any hash
partition of the nodes independently: locally on one partition, on Ray as a shuffle plus one
vectorised call per partition (dedup/ray_dedup.py). When a round changes nothing, every
non-root node has exactly one edge, to the smallest node of its component (the root).
Results depend only on the edge set, never on partitioning or order.
"""

from __future__ import annotations

import numpy as np

from dedup.lsh import unique_edges


def directed(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both directions of undirected edges (what a round groups by its first column)."""
    return np.concatenate([src, dst]), np.concatenate([dst, src])


def _group_min(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows grouped by u: the min over {u} and u's neighbours v, per row."""
    order = np.argsort(u, kind="stable")
    u_s, v_s = u[order], v[order]
    start = np.ones(len(u_s), dtype=bool)
    start[1:] = u_s[1:] != u_s[:-1]
    idx = np.flatnonzero(start)
    mins = np.minimum.reduceat(v_s, idx) if len(idx) else v_s
    per_row = np.minimum(mins[np.cumsum(start) - 1], u_s)
    return order, per_row


def large_star(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed rows (u, v) -> edges: each larger neighbour v of u links to m(u) = min(Γ(u) ∪ {u})."""
    if len(u) == 0:
        return u, v
    order, m = _group_min(u, v)
    u_s, v_s = u[order], v[order]
    keep = v_s > u_s
    return unique_edges(v_s[keep], m[keep])


def small_star(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed rows (u, v) -> edges: u and its smaller neighbours link to their min."""
    if len(u) == 0:
        return u, v
    small = v < u
    us, vs = u[small], v[small]
    if len(us) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order, m = _group_min(us, vs)
    u_s, v_s = us[order], vs[order]
    src = np.concatenate([v_s, u_s])
    dst = np.concatenate([m, m])
    return unique_edges(src, dst)


def fingerprint(src: np.ndarray, dst: np.ndarray) -> tuple[int, int]:
    """Order-independent (count, checksum) of an edge set: a round that changes nothing keeps it."""
    with np.errstate(over="ignore"):
        mixed = (src.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ dst.astype(np.uint64)
        return len(src), int(mixed.sum(dtype=np.uint64))


def star_components(src: np.ndarray, dst: np.ndarray, max_rounds: int = 100) -> dict[int, int]:
    """node -> root (smallest node of its component), for every node that has an edge."""
    src, dst = unique_edges(src, dst)
    before = fingerprint(src, dst)
    for _ in range(max_rounds):
        src, dst = large_star(*directed(src, dst))
        src, dst = small_star(*directed(src, dst))
        after = fingerprint(src, dst)
        if after == before:
            break
        before = after
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    return roots_from_stars(src, dst)


def roots_from_stars(src: np.ndarray, dst: np.ndarray) -> dict[int, int]:
    """Converged star edges (root, member) -> {node: root}, roots mapping to themselves."""
    out = {int(r): int(r) for r in np.unique(src)}
    out.update({int(m): int(r) for r, m in zip(src, dst)})
    return out
