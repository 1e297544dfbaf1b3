"""On the two-node loopback Ray cluster (tests/ray_cluster_util.py), as submitted Ray jobs:
clustering with exact verification inside Ray tasks, and exact-substring removal, each give
exactly the in-process result."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dedup.cluster import cluster_local
from dedup.lsh import node_keys
from dedup.minhash import MinHasher, band_keys
from dedup.substring import dedup_substrings
from dedup.verify import ShingleJaccard
from tests.test_lsh import flores_corpus
from tests.test_substring import _clueweb_ja_texts
from tests.test_substring_ray import random_docs

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ray_jobs_on_two_node_loopback_cluster_equal_local(shared_data: Path, warc_dir: Path, tmp_path: Path) -> None:
    from tests.ray_cluster_util import LoopbackRayCluster

    ids, texts = flores_corpus(shared_data)
    sigs = MinHasher().signatures(texts, ["en"] * len(texts))
    nodes, keys = node_keys(ids), band_keys(sigs, 14, 8)
    local = cluster_local(nodes, keys, sigs, 0.75, exact=ShingleJaccard(nodes, texts, ["en"] * len(texts)))
    np.savez(tmp_path / "in.npz", nodes=nodes, keys=keys, sigs=sigs, min_jaccard=np.array(0.75),
             texts=np.array(texts), language=np.array("en"), exact_min=np.array(0.8))
    pages = _clueweb_ja_texts(warc_dir)
    docs = [t or "" for t in random_docs(4)] + pages  # multi-byte words, then real Japanese pages
    pq.write_table(pa.table({"text": docs, "language": ["ja"] * len(docs)}), tmp_path / "in.parquet")
    expected = dedup_substrings(docs, ["ja"] * len(docs), n=50)

    with LoopbackRayCluster(venv=REPO / ".venv", cpus_per_node=1, n_workers=1) as cluster:
        assert len(cluster.alive_nodes()) == 2
        for module, args in (("dedup.ray_dedup", ["in.npz", "clusters.npz"]),
                             ("dedup.ray_substring", ["in.parquet", "substrings.parquet", "50"])):
            job = cluster.submit(["python", "-m", module, *[str(tmp_path / a) if "." in a else a for a in args]],
                                 working_dir=REPO, submission_id=f"dedup-{uuid.uuid4().hex[:8]}", timeout_s=600)
            assert job.returncode == 0, f"{module}: {job.stdout[-4000:]}\n{job.stderr[-2000:]}"

    out = np.load(tmp_path / "clusters.npz")
    assert int(out["alive_nodes"]) == 2
    assert np.array_equal(out["cluster_id"], local.cluster_id)
    assert np.array_equal(out["cluster_size"], local.cluster_size)
    assert np.array_equal(out["keep"], local.keep)
    sub = pq.read_table(tmp_path / "substrings.parquet")
    assert set(sub.column("alive_nodes").to_pylist()) == {2}
    assert sub.column("text").to_pylist() == expected.texts
    assert sub.column("removed_chars").to_pylist() == expected.removed_chars.tolist()
    assert expected.removed_chars.sum() > 1000


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_dedup_phase_job_on_two_node_loopback_cluster_writes_the_local_files(shared_data: Path, tmp_path: Path
                                                                            ) -> None:
    """``python -m dedup.ray_phase OUT`` as a Ray job (every language on the Ray path), twice, the
    second run against the index the first published: the same files as the local phase."""
    from curation.config import DedupConfig
    from dedup.phase import DedupPhase
    from tests.ray_cluster_util import LoopbackRayCluster
    from tests.test_dedup_ray_phase import _files, _first_run, _index, _second_run

    local, remote = tmp_path / "local", tmp_path / "remote"
    _first_run(local, shared_data)
    DedupPhase(local, DedupConfig()).run()
    _second_run(local, shared_data)
    DedupPhase(local, DedupConfig()).run()
    _first_run(remote, shared_data)
    with LoopbackRayCluster(venv=REPO / ".venv", cpus_per_node=1, n_workers=1) as cluster:
        assert len(cluster.alive_nodes()) == 2
        for k in range(2):
            if k == 1:
                _second_run(remote, shared_data)
            job = cluster.submit(["python", "-m", "dedup.ray_phase", str(remote)], working_dir=REPO,
                                 submission_id=f"dedup-phase-{uuid.uuid4().hex[:8]}", timeout_s=600)
            assert job.returncode == 0, f"{job.stdout[-4000:]}\n{job.stderr[-2000:]}"
            assert "alive_nodes=2" in job.stdout
    assert _files(remote) == _files(local)
    assert _index(remote) == _index(local)
