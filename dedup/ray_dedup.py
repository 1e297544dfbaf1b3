"""Ray glue for near-duplicate clustering (the only dedup module that imports Ray).

Same inputs and outputs as ``dedup.cluster.cluster_local``, computed with Ray Data:

1. band rows (band, key, node) are hash-partitioned by key in a shuffle (``groupby`` on a
   partition column) and each partition yields its buckets' star edges, vectorised;
2. the candidate edges (about one per duplicate and band) are verified in the driver with the
   same function as the local path (exact Jaccard where texts are known, else signatures);
3. connected components: alternating large-star / small-star rounds, each a shuffle by node
   followed by one vectorised call per partition (dedup/components.py), until an order-free
   fingerprint of the edge set stops changing.

Only candidate edges and the final (node -> root) map, one row per duplicate document, pass
through the driver; documents and band rows never do. ``python -m dedup.ray_dedup IN.npz OUT.npz`` runs it as a Ray job.
"""

from __future__ import annotations

import logging
import sys

import numpy as np
import pyarrow as pa
import ray

from dedup.cluster import Clusters, ExactJaccard, assign, verify
from dedup.components import directed, fingerprint, large_star, roots_from_stars, small_star
from dedup.lsh import band_rows, bucket_edges, unique_edges


def _partitions() -> int:
    return max(2, int(ray.cluster_resources().get("CPU", 1)) * 2)


def _edges_of_partition(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if "band" not in batch:
        return {"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64)}
    src, dst = bucket_edges(batch["band"], batch["key"], batch["node"])
    return {"src": src, "dst": dst}


def _star_round(fn_name: str):  # noqa: ANN202 - a map_groups callable
    fn = large_star if fn_name == "large" else small_star

    def run(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if "u" not in batch:
            return {"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64)}
        src, dst = fn(batch["u"], batch["v"])
        return {"src": src, "dst": dst}

    return run


def _directed_rows(batch: dict[str, np.ndarray], parts: int) -> dict[str, np.ndarray]:
    if "src" not in batch:  # an empty block from a partition without edges
        empty = np.zeros(0, np.int64)
        return {"u": empty, "v": empty, "part": empty}
    u, v = directed(batch["src"], batch["dst"])
    return {"u": u, "v": v, "part": u % parts}


def _fingerprint(ds: ray.data.Dataset) -> tuple[int, int]:
    count, total = 0, 0
    for batch in ds.iter_batches(batch_format="numpy", batch_size=100_000):
        if "src" not in batch:
            continue
        c, s = fingerprint(batch["src"], batch["dst"])
        count, total = count + c, (total + s) % (1 << 64)
    return count, total


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
    src, dst = _collect(found)
    if extra_src is not None and extra_dst is not None and len(extra_src):
        src, dst = np.concatenate([src, extra_src]), np.concatenate([dst, extra_dst])
    src, dst = unique_edges(src, dst)
    # Candidate edges are few (about one per duplicate and band); they are verified here with the
    # same function as the local path, then the components run distributed again.
    sig_of = {int(n): s for n, s in zip(nodes, sigs)}
    sig_of.update(extra_sigs or {})
    src, dst = verify(src, dst, sig_of, min_jaccard, exact, exact_min)
    if len(src) == 0:
        return assign(nodes, {})
    edges = ray.data.from_arrow(pa.table({"src": src, "dst": dst})).materialize()
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
    return assign(nodes, roots_from_stars(*unique_edges(*_collect(edges))))


def _collect(ds: ray.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    batches = [b for b in ds.iter_batches(batch_format="numpy", batch_size=100_000) if "src" in b]
    if not batches:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([b["src"] for b in batches]).astype(np.int64),
            np.concatenate([b["dst"] for b in batches]).astype(np.int64))


def main(argv: list[str]) -> int:
    """``python -m dedup.ray_dedup IN.npz OUT.npz [ADDRESS]``: cluster on the Ray cluster at ADDRESS."""
    src, dst = argv[0], argv[1]
    ray.init(address=argv[2] if len(argv) > 2 else "auto", logging_level=logging.WARNING)
    z = np.load(src)
    res = cluster_ray(z["nodes"], z["keys"], z["sigs"], float(z["min_jaccard"]))
    nodes_seen = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    np.savez(dst, cluster_id=res.cluster_id, cluster_size=res.cluster_size, keep=res.keep,
             alive_nodes=np.array(len(nodes_seen)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
