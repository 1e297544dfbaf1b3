"""Ray glue for near-duplicate clustering (the only dedup modules that import Ray are
``dedup/ray_*.py``).

Same inputs and outputs as ``dedup.cluster.cluster_local``, computed with Ray Data:

1. band rows (band, key, node) are hash-partitioned by key in a shuffle (``groupby`` on a
   partition column) and each partition yields its buckets' star edges, vectorised;
2. the candidate edges are verified in two joins, each a shuffle of edge rows together with
   node rows (node, signature, text) by node: the first attaches the smaller endpoint's
   signature and shingle set to its edges, the second decides each edge next to the larger
   endpoint's data with the functions of the local path (dedup/verify.py). A node's shingles
   are computed in the partition that owns it, once per join;
3. connected components: alternating large-star / small-star rounds, each a shuffle by node
   followed by one vectorised call per partition (dedup/components.py), until an order-free
   fingerprint of the edge set stops changing.

``cluster_ray`` (arrays in, ``Clusters`` out) collects only the final (node -> root) map, one
row per duplicate document; band rows and edges never come back. The dedup phase's Ray path
(dedup/ray_phase.py) uses ``verified_edges`` and ``star_edges`` on datasets its tasks read from
the part files and keeps the map in Ray too. ``python -m dedup.ray_dedup IN.npz OUT.npz`` runs
``cluster_ray`` as a Ray job.
"""

from __future__ import annotations

import logging
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ray

from dedup.cluster import Clusters, ExactJaccard, assign
from dedup.components import directed, fingerprint, large_star, roots_from_stars, small_star
from dedup.lsh import band_rows, bucket_edges, unique_edges
from dedup.verify import ShingleJaccard, edge_decisions, set_jaccard, shingle_sets

_U64_LIST = pa.list_(pa.uint64())
# One schema for node rows (is_node) and edge rows (node = the endpoint joined on, other = the
# far endpoint; sig/shingles = the far endpoint's once attached), so both can share a shuffle.
_JOIN = pa.schema([("part", pa.int64()), ("node", pa.int64()), ("other", pa.int64()), ("is_node", pa.bool_()),
                   ("sig", _U64_LIST), ("text", pa.string()), ("language", pa.string()), ("shingles", _U64_LIST)])
_EMPTY_EDGES = {"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64)}


def _partitions() -> int:
    return max(2, int(ray.cluster_resources().get("CPU", 1)) * 2)


def _edges_of_partition(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if "band" not in batch:
        return dict(_EMPTY_EDGES)
    src, dst = bucket_edges(batch["band"], batch["key"], batch["node"])
    return {"src": src, "dst": dst}


def _star_round(fn_name: str):  # noqa: ANN202 - a map_groups callable
    fn = large_star if fn_name == "large" else small_star

    def run(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if "u" not in batch:
            return dict(_EMPTY_EDGES)
        src, dst = fn(batch["u"], batch["v"])
        return {"src": src, "dst": dst}

    return run


def _directed_rows(batch: dict[str, np.ndarray], parts: int) -> dict[str, np.ndarray]:
    if "src" not in batch:  # an empty block from a partition without edges
        empty = np.zeros(0, np.int64)
        return {"u": empty, "v": empty, "part": empty}
    u, v = directed(batch["src"], batch["dst"])
    return {"u": u, "v": v, "part": u % parts}


def _block_fingerprint(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if "src" not in batch:
        return {"count": np.zeros(1, np.int64), "sum": np.zeros(1, np.uint64)}
    c, s = fingerprint(batch["src"], batch["dst"])
    return {"count": np.array([c], np.int64), "sum": np.array([s], np.uint64)}


def _fingerprint(ds: ray.data.Dataset) -> tuple[int, int]:
    """The edge set's fingerprint, one row per block to the driver (never the edges)."""
    count, total = 0, 0
    for row in ds.map_batches(_block_fingerprint, batch_format="numpy", batch_size=None).take_all():
        count, total = count + int(row["count"]), (total + int(row["sum"])) % (1 << 64)
    return count, total


# -- verification: two joins of edge rows with node rows ------------------------------------
def _u64_lists(rows: list[np.ndarray | None]) -> pa.Array:
    """A list<uint64> array from per-row arrays (None = null), without per-value Python objects."""
    lengths = np.array([0 if r is None else len(r) for r in rows], dtype=np.int64)
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    present = [r for r in rows if r is not None and len(r)]
    values = np.concatenate(present).astype(np.uint64) if present else np.zeros(0, np.uint64)
    mask = pa.array([r is None for r in rows], pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint64()), mask=mask)


def _matrix(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """(rows x width) uint64 from a list<uint64> column whose rows are all valid."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(arr)
    return arr.flatten().to_numpy().astype(np.uint64).reshape(n, -1) if n else np.zeros((0, 0), np.uint64)


def node_rows(nodes: np.ndarray, sigs: np.ndarray, parts: int, exact: ExactJaccard | None,
              extra_sigs: dict[int, np.ndarray] | None) -> pa.Table:
    """Node rows of new documents (text where verification is exact) and published ones (no text)."""
    pub = np.array(sorted(extra_sigs or {}), dtype=np.int64)
    all_nodes = np.concatenate([nodes.astype(np.int64), pub])
    width = sigs.shape[1] if sigs.ndim == 2 else 0
    sig = np.concatenate([sigs.reshape(len(nodes), width).astype(np.uint64),
                          np.stack([extra_sigs[int(p)] for p in pub]).astype(np.uint64) if len(pub) else
                          np.zeros((0, width), np.uint64)])
    text = pa.nulls(len(all_nodes), pa.string())
    language = pa.nulls(len(all_nodes), pa.string())
    if exact is not None:
        if not isinstance(exact, ShingleJaccard):
            raise TypeError("the Ray path verifies exactly with dedup.verify.ShingleJaccard only")
        known = exact.table()
        keys = known.column("node").to_numpy()
        order = np.argsort(keys, kind="stable")
        pos = np.minimum(np.searchsorted(keys[order], all_nodes), max(len(keys) - 1, 0))
        found = (keys[order][pos] == all_nodes) if len(keys) else np.zeros(len(all_nodes), dtype=bool)
        take = pa.array(np.where(found, order[pos], 0), pa.int64())
        mask = pa.array(~found)
        text = pc.if_else(mask, pa.scalar(None, pa.string()), known.column("text").take(take))
        language = pc.if_else(mask, pa.scalar(None, pa.string()), known.column("language").take(take))
    n = len(all_nodes)
    return pa.table({"part": pa.array(all_nodes % parts, pa.int64()), "node": pa.array(all_nodes, pa.int64()),
                     "other": pa.array(np.full(n, -1, np.int64)), "is_node": pa.array(np.ones(n, dtype=bool)),
                     "sig": pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32) * width),
                                                     pa.array(sig.reshape(-1), pa.uint64())),
                     "text": text, "language": language,
                     "shingles": pa.nulls(n, _U64_LIST)}, schema=_JOIN)


def _edge_rows(batch: dict[str, np.ndarray], parts: int) -> pa.Table:
    """Candidate edges, oriented small -> large, keyed by their smaller node for the first join."""
    if "src" not in batch or not len(batch["src"]):
        return _JOIN.empty_table()
    lo, hi = np.minimum(batch["src"], batch["dst"]), np.maximum(batch["src"], batch["dst"])
    keep = lo != hi
    lo, hi = lo[keep].astype(np.int64), hi[keep].astype(np.int64)
    n = len(lo)
    return pa.table({"part": lo % parts, "node": lo, "other": hi, "is_node": np.zeros(n, dtype=bool),
                     "sig": pa.nulls(n, _U64_LIST), "text": pa.nulls(n, pa.string()),
                     "language": pa.nulls(n, pa.string()), "shingles": pa.nulls(n, _U64_LIST)}, schema=_JOIN)


def _split(batch: pa.Table) -> tuple[pa.Table, pa.Table]:
    is_node = batch.column("is_node").to_numpy(zero_copy_only=False)
    return batch.filter(pa.array(is_node)), batch.filter(pa.array(~is_node))


def _lookup(node_tab: pa.Table, wanted: np.ndarray) -> np.ndarray:
    """Row of each wanted node in ``node_tab`` (KeyError for a node without a row)."""
    keys = node_tab.column("node").to_numpy()
    order = np.argsort(keys, kind="stable")
    pos = np.searchsorted(keys[order], wanted)
    ok = pos < len(keys)
    ok[ok] = keys[order][pos[ok]] == wanted[ok]
    if not ok.all():
        raise KeyError(f"no signature for node {int(wanted[~ok][0])}")
    return order[pos]


def _shingles_of(node_tab: pa.Table, rows: np.ndarray, ngram: int) -> dict[int, np.ndarray | None]:
    """Shingle set per chosen node row (None where its text is not known)."""
    texts = node_tab.column("text").take(pa.array(rows, pa.int64())).to_pylist()
    langs = node_tab.column("language").take(pa.array(rows, pa.int64())).to_pylist()
    have = [k for k, t in enumerate(texts) if t is not None]
    sets = shingle_sets([texts[k] for k in have], [langs[k] for k in have], ngram)
    out: dict[int, np.ndarray | None] = {int(r): None for r in rows}
    out.update({int(rows[k]): s for k, s in zip(have, sets)})
    return out


def _attach_smaller(batch: pa.Table, parts: int, ngram: int) -> pa.Table:
    """First join (grouped by the smaller node): its signature and shingles ride on each edge,
    which is re-keyed by the larger node. Repeats of an edge (several bands) meet here and go."""
    if batch.num_rows == 0 or "is_node" not in batch.column_names:
        return _JOIN.empty_table()
    nodes_t, edges_t = _split(batch)
    if edges_t.num_rows == 0:
        return _JOIN.empty_table()
    src, dst = unique_edges(edges_t.column("node").to_numpy(), edges_t.column("other").to_numpy())
    rows = _lookup(nodes_t, src)
    sets = _shingles_of(nodes_t, np.unique(rows), ngram)
    n = len(src)
    return pa.table({"part": dst % parts, "node": dst, "other": src, "is_node": np.zeros(n, dtype=bool),
                     "sig": nodes_t.column("sig").take(pa.array(rows, pa.int64())),
                     "text": pa.nulls(n, pa.string()), "language": pa.nulls(n, pa.string()),
                     "shingles": _u64_lists([sets[int(r)] for r in rows])}, schema=_JOIN)


def _decide(batch: pa.Table, ngram: int, min_jaccard: float, exact_min: float) -> dict[str, np.ndarray]:
    """Second join (grouped by the larger node): each edge is kept or dropped exactly as
    dedup/cluster.py ``verify`` decides it."""
    if batch.num_rows == 0 or "is_node" not in batch.column_names:
        return dict(_EMPTY_EDGES)
    nodes_t, edges_t = _split(batch)
    if edges_t.num_rows == 0:
        return dict(_EMPTY_EDGES)
    dst, src = edges_t.column("node").to_numpy(), edges_t.column("other").to_numpy()
    rows = _lookup(nodes_t, dst)
    dst_sets = _shingles_of(nodes_t, np.unique(rows), ngram)
    shingles = edges_t.column("shingles").combine_chunks()
    valid = shingles.is_valid().to_numpy(zero_copy_only=False)  # False where the text is unknown
    offsets, values = shingles.offsets.to_numpy(), shingles.values.to_numpy()
    j = np.full(len(src), np.nan)
    for k, r in enumerate(rows.tolist()):
        b = dst_sets[r]
        if valid[k] and b is not None:
            j[k] = set_jaccard(values[offsets[k]:offsets[k + 1]], b)
    sig_a = _matrix(edges_t.column("sig"))
    sig_b = _matrix(nodes_t.column("sig").take(pa.array(rows, pa.int64())))
    keep = edge_decisions(j, sig_a, sig_b, min_jaccard, exact_min)
    return {"src": src[keep], "dst": dst[keep]}


def verified_edges(candidates: ray.data.Dataset, nodes: pa.Table | ray.data.Dataset, parts: int, ngram: int,
                   min_jaccard: float, exact_min: float) -> ray.data.Dataset:
    """Candidate (src, dst) rows -> the edges that pass verification, by two shuffled joins."""
    node_ds = (ray.data.from_arrow(_blocks(nodes, parts)) if isinstance(nodes, pa.Table) else nodes).materialize()
    edges = candidates.map_batches(_edge_rows, fn_kwargs={"parts": parts}, batch_format="numpy")
    first = (edges.union(node_ds).groupby("part", num_partitions=parts)
             .map_groups(_attach_smaller, fn_kwargs={"parts": parts, "ngram": ngram}, batch_format="pyarrow"))
    return (first.union(node_ds).groupby("part", num_partitions=parts)
            .map_groups(_decide, fn_kwargs={"ngram": ngram, "min_jaccard": min_jaccard, "exact_min": exact_min},
                        batch_format="pyarrow"))


def _blocks(table: pa.Table, parts: int) -> list[pa.Table]:
    step = max(1, -(-table.num_rows // parts))
    return [table.slice(i, step) for i in range(0, table.num_rows, step)] or [table]


def cluster_ray(nodes: np.ndarray, keys: np.ndarray, sigs: np.ndarray, min_jaccard: float,
                extra_src: np.ndarray | None = None, extra_dst: np.ndarray | None = None,
                extra_sigs: dict[int, np.ndarray] | None = None, exact: ExactJaccard | None = None,
                exact_min: float = 0.8, max_rounds: int = 100) -> Clusters:
    parts = _partitions()
    data_ctx = ray.data.DataContext.get_current()
    data_ctx.enable_progress_bars = False
    band, key, node = band_rows(nodes, keys)
    rows = ray.data.from_arrow(pa.table({"band": band, "key": key, "node": node,
                                         "part": (key % np.uint64(parts)).astype(np.int64)}))
    found = rows.groupby("part", num_partitions=parts).map_groups(_edges_of_partition, batch_format="numpy")
    if extra_src is not None and extra_dst is not None and len(extra_src):
        found = found.union(ray.data.from_arrow(pa.table({"src": extra_src.astype(np.int64),
                                                          "dst": extra_dst.astype(np.int64)})))
    if exact is not None or min_jaccard > 0:
        ngram = exact.ngram if isinstance(exact, ShingleJaccard) else 5
        table = node_rows(nodes, sigs, parts, exact, extra_sigs)
        found = verified_edges(found, table, parts, ngram, min_jaccard, exact_min)
    stars = star_edges(found, parts, max_rounds)
    if stars is None:
        return assign(nodes, {})
    return assign(nodes, roots_from_stars(*unique_edges(*_collect(stars))))


def star_edges(found: ray.data.Dataset, parts: int, max_rounds: int = 100) -> ray.data.Dataset | None:
    """Verified (src, dst) edges -> converged star edges (root, member), or None without edges;
    large-star / small-star rounds until the edge set's fingerprint stops changing."""
    edges = found.materialize()
    before = _fingerprint(edges)
    if before[0] == 0:
        return None
    for _ in range(max_rounds):
        for name in ("large", "small"):
            edges = (edges.map_batches(_directed_rows, fn_kwargs={"parts": parts}, batch_format="numpy")
                     .groupby("part", num_partitions=parts).map_groups(_star_round(name), batch_format="numpy"))
        edges = edges.materialize()
        after = _fingerprint(edges)
        if after == before:
            return edges
        before = after
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


def _collect(ds: ray.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    batches = [b for b in ds.iter_batches(batch_format="numpy", batch_size=100_000) if "src" in b]
    if not batches:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([b["src"] for b in batches]).astype(np.int64),
            np.concatenate([b["dst"] for b in batches]).astype(np.int64))


def main(argv: list[str]) -> int:
    """``python -m dedup.ray_dedup IN.npz OUT.npz [ADDRESS]``: cluster on the Ray cluster at ADDRESS.

    IN holds nodes, keys, sigs, min_jaccard, and optionally texts + language + exact_min for
    exact verification (dedup/verify.py ``ShingleJaccard``).
    """
    src, dst = argv[0], argv[1]
    ray.init(address=argv[2] if len(argv) > 2 else "auto", logging_level=logging.WARNING)
    z = np.load(src)
    exact = None
    if "texts" in z:
        texts = [str(t) for t in z["texts"]]
        exact = ShingleJaccard(z["nodes"], texts, [str(z["language"])] * len(texts))
    res = cluster_ray(z["nodes"], z["keys"], z["sigs"], float(z["min_jaccard"]), exact=exact,
                      exact_min=float(z["exact_min"]) if "exact_min" in z else 0.8)
    nodes_seen = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    np.savez(dst, cluster_id=res.cluster_id, cluster_size=res.cluster_size, keep=res.keep,
             alive_nodes=np.array(len(nodes_seen)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
