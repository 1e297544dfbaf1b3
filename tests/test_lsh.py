"""Near-duplicate clustering: LSH buckets -> verified edges -> connected components. The result
depends only on the documents (not their order), matches a scipy oracle, and the Ray path on a
real two-node loopback cluster gives the same clusters as the in-process one."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.cluster import cluster_local
from dedup.components import star_components
from dedup.lsh import bucket_edges, node_keys
from dedup.minhash import MinHasher, band_keys

REPO = Path(__file__).resolve().parents[1]


def flores_corpus(shared_data: Path, n_base: int = 40, seed: int = 3) -> tuple[list[str], list[str]]:
    """(ids, texts): n_base documents of 20 sentences, plus 1-3 edited copies of every other one."""
    lines = (shared_data / "flores200" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    ids, texts = [], []
    for d in range(n_base):
        base = lines[d * 20:(d + 1) * 20]
        ids.append(f"doc{d}")
        texts.append("\n".join(base))
        if d % 2 == 0:
            for c in range(1 + d % 3):
                copy = list(base)
                del copy[rng.randrange(20)]  # one sentence of 20 deleted: Jaccard ~0.95
                ids.append(f"doc{d}-copy{c}")
                texts.append("\n".join(copy))
    return ids, texts


def corpus_arrays(ids: list[str], texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    return node_keys(ids), band_keys(sigs, 14, 8), sigs


def test_small_buckets_pair_every_member() -> None:
    bands = np.array([0, 0, 0, 1, 1, 1])
    keys = np.array([7, 7, 7, 5, 6, 5], dtype=np.uint64)
    nodes = np.array([30, 10, 20, 30, 10, 20], dtype=np.int64)
    src, dst = bucket_edges(bands, keys, nodes)
    assert list(zip(src.tolist(), dst.tolist())) == [(10, 20), (10, 30), (20, 30)]


def test_components_match_scipy_on_random_graphs() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(2, 200))
        nodes = rng.choice(10**15, n, replace=False).astype(np.int64)
        a, b = nodes[rng.integers(0, n, n)], nodes[rng.integers(0, n, n)]
        roots = star_components(a, b)
        index = {int(x): i for i, x in enumerate(nodes)}
        graph = coo_matrix((np.ones(n), ([index[int(x)] for x in a], [index[int(x)] for x in b])), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        for node, root in roots.items():
            members = nodes[label == label[index[node]]]
            assert root == members.min()


def test_near_copies_cluster_with_their_original(shared_data: Path) -> None:
    ids, texts = flores_corpus(shared_data)
    nodes, keys, sigs = corpus_arrays(ids, texts)
    res = cluster_local(nodes, keys, sigs, 0.75)
    by_id = dict(zip(ids, res.cluster_id.tolist()))
    for i in ids:
        base = i.split("-")[0]
        assert by_id[i] == by_id[base], i  # every copy sits in its original's cluster
    assert len(set(by_id.values())) == 40  # and distinct originals never merge
    assert res.keep.sum() == 40 and (res.cluster_size[res.keep] >= 1).all()


def test_clusters_do_not_depend_on_document_order(shared_data: Path) -> None:
    ids, texts = flores_corpus(shared_data)
    nodes, keys, sigs = corpus_arrays(ids, texts)
    ref = cluster_local(nodes, keys, sigs, 0.75)
    perm = np.random.default_rng(1).permutation(len(ids))
    res = cluster_local(nodes[perm], keys[perm], sigs[perm], 0.75)
    assert np.array_equal(res.cluster_id, ref.cluster_id[perm])
    assert np.array_equal(res.keep, ref.keep[perm])


def test_published_documents_win_their_cluster() -> None:
    new = node_keys(["x", "y"], new=True)
    old = node_keys(["x", "y"], new=False)
    assert (old < new).all() and ((new ^ old) == np.int64(1 << 62)).all()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ray_clusters_on_two_node_loopback_cluster_equal_local(shared_data: Path, tmp_path: Path) -> None:
    try:
        from ray_cluster_util import LoopbackRayCluster
    except ImportError:  # pragma: no cover - tests/ imported as a package
        from tests.ray_cluster_util import LoopbackRayCluster

    ids, texts = flores_corpus(shared_data)
    nodes, keys, sigs = corpus_arrays(ids, texts)
    local = cluster_local(nodes, keys, sigs, 0.75)
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(src, nodes=nodes, keys=keys, sigs=sigs, min_jaccard=np.array(0.75))
    with LoopbackRayCluster(venv=REPO / ".venv", cpus_per_node=1, n_workers=1) as cluster:
        assert len(cluster.alive_nodes()) == 2
        job = cluster.submit(["python", "-m", "dedup.ray_dedup", str(src), str(dst)], working_dir=REPO,
                             submission_id=f"dedup-{uuid.uuid4().hex[:8]}", timeout_s=500)
        assert job.returncode == 0, f"{job.stdout[-4000:]}\n{job.stderr[-2000:]}"
    out = np.load(dst)
    assert int(out["alive_nodes"]) == 2
    assert np.array_equal(out["cluster_id"], local.cluster_id)
    assert np.array_equal(out["cluster_size"], local.cluster_size)
    assert np.array_equal(out["keep"], local.keep)


def test_by_size_sends_only_languages_of_at_least_min_docs_to_the_distributed_clusterer() -> None:
    from dedup.cluster import by_size
    from dedup.minhash import MinHasher, band_keys

    calls: list[int] = []

    def distributed(nodes, *args, **kwargs):
        calls.append(len(nodes))
        return cluster_local(nodes, *args, **kwargs)

    texts = [f"document {i} " + "shared words that repeat " * 20 for i in range(6)]
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    keys = band_keys(sigs, 14, 8)
    nodes = np.arange(len(texts), dtype=np.int64)
    small = by_size(distributed, min_docs=7)(nodes, keys, sigs, 0.75)
    assert calls == []
    big = by_size(distributed, min_docs=6)(nodes, keys, sigs, 0.75)
    assert calls == [6]
    assert np.array_equal(small.cluster_id, big.cluster_id) and np.array_equal(small.keep, big.keep)
