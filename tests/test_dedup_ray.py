"""The Ray dedup paths on one-node embedded Ray give exactly the in-process results: clusters
with exact (text) verification and cross-run candidates, verified inside Ray tasks; and
exact-substring removal (windows shuffled by hash, verified against the text, cut per
document), multi-byte text and published windows included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup.cluster import cluster_local
from dedup.index import CrossRunIndex
from dedup.lsh import node_keys
from dedup.minhash import MinHasher, band_keys
from dedup.verify import ShingleJaccard
from tests.test_lsh import flores_corpus


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def _japanese_corpus(shared_data: Path) -> tuple[list[str], list[str]]:
    lines = (shared_data / "flores200" / "jpn_Jpan.devtest").read_text(encoding="utf-8").splitlines()
    ids, texts = [], []
    for d in range(12):
        base = lines[d * 10:(d + 1) * 10]
        ids.append(f"ja{d}")
        texts.append("\n".join(base))
        if d % 3 == 0:
            ids.append(f"ja{d}-copy")
            texts.append("\n".join(base[:-1]))  # the last of 10 sentences dropped
    return ids, texts


def test_ray_clusters_with_exact_verification_equal_local(ray_local: None, shared_data: Path) -> None:
    from dedup.ray_dedup import cluster_ray

    ids, texts = flores_corpus(shared_data)
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    nodes, keys = node_keys(ids), band_keys(sigs, 14, 8)
    exact = ShingleJaccard(nodes, texts, ["en"] * len(texts))
    local = cluster_local(nodes, keys, sigs, 0.75, exact=exact, exact_min=0.8)
    res = cluster_ray(nodes, keys, sigs, 0.75, exact=ShingleJaccard(nodes, texts, ["en"] * len(texts)), exact_min=0.8)
    assert local.keep.sum() == 40  # every edited copy joined its original
    assert np.array_equal(res.cluster_id, local.cluster_id)
    assert np.array_equal(res.cluster_size, local.cluster_size)
    assert np.array_equal(res.keep, local.keep)


def test_ray_exact_verification_drops_the_pairs_local_drops(ray_local: None, shared_data: Path) -> None:
    from dedup.ray_dedup import cluster_ray

    ids, texts = _japanese_corpus(shared_data)
    sigs = MinHasher().signatures(texts, ["ja"] * len(texts))
    nodes, keys = node_keys(ids), band_keys(sigs, 14, 8)
    langs = ["ja"] * len(texts)
    kept = []
    for exact_min in (0.8, 0.9, 0.99):  # the copies' exact Jaccard: 0.874, 0.884, 0.945, 0.953
        local = cluster_local(nodes, keys, sigs, 0.5, exact=ShingleJaccard(nodes, texts, langs), exact_min=exact_min)
        res = cluster_ray(nodes, keys, sigs, 0.5, exact=ShingleJaccard(nodes, texts, langs), exact_min=exact_min)
        assert np.array_equal(res.cluster_id, local.cluster_id), exact_min
        assert np.array_equal(res.keep, local.keep), exact_min
        kept.append(int(res.keep.sum()))
    assert kept == [12, 14, 16]


def test_ray_clusters_against_published_documents_equal_local(ray_local: None, shared_data: Path,
                                                               tmp_path: Path) -> None:
    from dedup.ray_dedup import cluster_ray

    ids, texts = flores_corpus(shared_data)
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    keys = band_keys(sigs, 14, 8)
    old = [i for i, name in enumerate(ids) if "copy" not in name][:10]  # ten originals were published
    index = CrossRunIndex(tmp_path)
    index.add("en", [f"old-{ids[i]}" for i in old], keys[old], sigs[old], "t1")
    new = [i for i in range(len(ids)) if i not in old]
    nodes = node_keys([ids[i] for i in new])
    extra_src, extra_dst, extra_sigs = index.query("en", nodes, keys[new])
    assert len(extra_src) > 0
    new_texts = [texts[i] for i in new]
    args = (nodes, keys[new], sigs[new], 0.75, extra_src, extra_dst, extra_sigs)
    local = cluster_local(*args, exact=ShingleJaccard(nodes, new_texts, ["en"] * len(new)))
    res = cluster_ray(*args, exact=ShingleJaccard(nodes, new_texts, ["en"] * len(new)))
    assert (local.cluster_id < 1 << 62).sum() > 0  # some new copies joined a published original
    assert np.array_equal(res.cluster_id, local.cluster_id)
    assert np.array_equal(res.cluster_size, local.cluster_size)
    assert np.array_equal(res.keep, local.keep)


def test_ray_signature_only_verification_equals_local(ray_local: None, shared_data: Path) -> None:
    from dedup.ray_dedup import cluster_ray

    ids, texts = flores_corpus(shared_data, n_base=20, seed=5)
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    nodes, keys = node_keys(ids), band_keys(sigs, 14, 8)
    local = cluster_local(nodes, keys, sigs, 0.9)
    res = cluster_ray(nodes, keys, sigs, 0.9)
    assert np.array_equal(res.cluster_id, local.cluster_id)
    assert np.array_equal(res.keep, local.keep)


def _phase_rows(out: Path) -> dict[str, dict]:
    import pyarrow.parquet as pq

    rows = {}
    for where in ("data/language=de", "rejected"):
        for f in sorted(out.glob(f"{where}/*.parquet")):
            rows.update({r["id"]: {**r, "_file": f.name} for r in pq.read_table(f).to_pylist()})
    return rows


def _index_rows(out: Path) -> list[tuple]:
    import pyarrow.parquet as pq

    return sorted(tuple(r.values()) for f in sorted(out.glob("_index/substring/**/*.parquet"))
                  for r in pq.read_table(f).to_pylist())


def test_phase_on_ray_writes_what_the_local_phase_writes(ray_local: None, shared_data: Path, tmp_path: Path) -> None:
    from curation.config import DedupConfig
    from dedup.phase import DedupPhase
    from tests.test_dedup_phase import _corpus, _doc, _write_part

    german = (shared_data / "ntrex128" / "newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()
    boiler = _doc(german, 500, 505)  # > 50 words shared across documents and runs
    u1, u2 = _corpus(german)
    u1 = [*u1, ("x", f"{_doc(german, 0, 10)}\n{boiler}"), ("y", f"{boiler}\n{_doc(german, 300, 310)}")]
    u3 = [("z", f"{_doc(german, 320, 330)}\n{boiler}\nEnde."), ("w", _doc(german, 700, 740))]
    cfg = DedupConfig(ray_min_docs=2)  # every language goes to Ray
    summaries = {}
    for name, use_ray in (("local", False), ("ray", True)):
        out = tmp_path / name
        _write_part(out, "u1", u1)
        _write_part(out, "u2", u2)
        first = DedupPhase(out, cfg, use_ray=use_ray).run().line()
        _write_part(out, "u3", u3)  # a later run: its boilerplate was published by the first
        summaries[name] = (first, DedupPhase(out, cfg, use_ray=use_ray).run().line())
    assert summaries["ray"] == summaries["local"]
    assert _phase_rows(tmp_path / "ray") == _phase_rows(tmp_path / "local")
    assert _index_rows(tmp_path / "ray") == _index_rows(tmp_path / "local")
    staged = sorted(f.name for f in (tmp_path / "ray").glob("_index/substring/language=de/*.parquet"))
    assert staged and all(".p0" in name for name in staged)  # written by the Ray tasks, one per hash partition
    rows = _phase_rows(tmp_path / "ray")
    assert rows["y"]["text"] == _doc(german, 300, 310) and rows["z"]["text"] == f"{_doc(german, 320, 330)}\nEnde."
    assert sum(r["reject_reason"] == "near_duplicate" for r in rows.values()) == 2
