"""Ray glue for near-duplicate clustering (the only dedup module that imports Ray).

Same inputs and outputs as ``dedup.cluster.cluster_local``, computed with Ray Data:

1. band rows (band, key, node) are hash-partitioned by key in a shuffle (``groupby`` on a
   partition column) and each partition yields its buckets' star edges, vectorised;
2. edges are verified against the signatures, which are broadcast once through the object store;
3. connected components: alternating large-star / small-star rounds, each a shuffle by node
   followed by one vectorised call per partition (dedup/components.py), until an order-free
   fingerprint of the edge set stops changing.

No step gathers all rows in one task except the final (node -> root) map, which has one row per
duplicate document only. ``python -m dedup.ray_dedup IN.npz OUT.npz`` runs it as a Ray job.
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import ray

from dedup.cluster import Clusters, assign
from dedup.components import directed, fingerprint, large_star, roots_from_stars, small_star
from dedup.lsh import band_rows, bucket_edges, estimated_jaccard, unique_edges


def _partitions() -> int:
    return max(2, int(ray.cluster_resources().get("CPU", 1)) * 2)


def _edges_of_partition(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    src, dst = bucket_edges(batch["band"], batch["key"], batch["node"])
    return {"src": src, "dst": dst}


def _star_round(fn_name: str):  # noqa: ANN202 - a map_groups callable
    fn = large_star if fn_name == "large" else small_star

    def run(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        src, dst = fn(batch["u"], batch["v"])
        return {"src": src, "dst": dst}

    return run


def _directed_rows(batch: dict[str, np.ndarray], parts: int) -> dict[str, np.ndarray]:
    u, v = directed(batch["src"], batch["dst"])
    return {"u": u, "v": v, "part": u % parts}


def _verify(batch: dict[str, np.ndarray], nodes: np.ndarray, sigs: np.ndarray, min_j: float
            ) -> dict[str, np.ndarray]:
    a = sigs[np.searchsorted(nodes, batch["src"])]
    b = sigs[np.searchsorted(nodes, batch["dst"])]
    ok = estimated_jaccard(a, b) >= min_j
    return {"src": batch["src"][ok], "dst": batch["dst"][ok]}


def _fingerprint(ds: ray.data.Dataset) -> tuple[int, int]:
    count, total = 0, 0
    for batch in ds.iter_batches(batch_format="numpy", batch_size=100_000):
        c, s = fingerprint(batch["src"], batch["dst"])
        count, total = count + c, (total + s) % (1 << 64)
    return count, total


def cluster_ray(nodes: np.ndarray, keys: np.ndarray, sigs: np.ndarray, min_jaccard: float,
                extra_src: np.ndarray | None = None, extra_dst: np.ndarray | None = None,
                extra_sigs: dict[int, np.ndarray] | None = None, max_rounds: int = 100) -> Clusters:
    parts = _partitions()
    data_ctx = ray.data.DataContext.get_current()
    data_ctx.enable_progress_bars = False
    band, key, node = band_rows(nodes, keys)
    rows = ray.data.from_arrow(pa.table({"band": band, "key": key, "node": node,
                                         "part": (key % np.uint64(parts)).astype(np.int64)}))
    edges = rows.groupby("part", num_partitions=parts).map_groups(_edges_of_partition, batch_format="numpy")
    all_nodes, all_sigs = nodes, sigs
    if extra_src is not None and extra_dst is not None and len(extra_src):
        old = np.array(sorted(extra_sigs or {}), dtype=np.int64)
        all_nodes = np.concatenate([nodes, old])
        all_sigs = np.concatenate([sigs, np.stack([extra_sigs[int(o)] for o in old])]) if len(old) else sigs
        edges = edges.union(ray.data.from_numpy(np.stack([extra_src, extra_dst], 1)).map_batches(
            lambda b: {"src": b["data"][:, 0], "dst": b["data"][:, 1]}, batch_format="numpy"))
    order = np.argsort(all_nodes)
    if min_jaccard > 0:
        edges = edges.map_batches(_verify, fn_kwargs={"nodes": all_nodes[order], "sigs": all_sigs[order],
                                                       "min_j": min_jaccard}, batch_format="numpy")
    edges = edges.map_batches(lambda b: dict(zip(("src", "dst"), unique_edges(b["src"], b["dst"]))),
                              batch_format="numpy").materialize()
    before = _fingerprint(edges)
    for _ in range(max_rounds):
        for name in ("large", "small"):
            edges = (edges.map_batches(_directed_rows, fn_kwargs={"parts": parts}, batch_format="numpy")
                     .groupby("part", num_partitions=parts).map_groups(_star_round(name), batch_format="numpy"))
        edges = edges.materialize()
        after = _fingerprint(edges)
        if after == before:
            break
        before = after
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    src = np.concatenate([b["src"] for b in edges.iter_batches(batch_format="numpy")] or [np.zeros(0, np.int64)])
    dst = np.concatenate([b["dst"] for b in edges.iter_batches(batch_format="numpy")] or [np.zeros(0, np.int64)])
    return assign(nodes, roots_from_stars(*unique_edges(src, dst)))


def main(argv: list[str]) -> int:
    """``python -m dedup.ray_dedup IN.npz OUT.npz [ADDRESS]``: cluster on the Ray cluster at ADDRESS."""
    src, dst = argv[0], argv[1]
    ray.init(address=argv[2] if len(argv) > 2 else "auto", logging_level="WARNING")
    z = np.load(src)
    res = cluster_ray(z["nodes"], z["keys"], z["sigs"], float(z["min_jaccard"]))
    nodes_seen = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    np.savez(dst, cluster_id=res.cluster_id, cluster_size=res.cluster_size, keep=res.keep,
             alive_nodes=np.array(len(nodes_seen)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
