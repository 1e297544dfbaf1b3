"""``curate tokenize`` over Ray tasks writes byte-identical datasets to the in-process run."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.cli import main
from tests.test_tokenize_fixtures import docs, train_bpe, write_web


@pytest.fixture()
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_ray_tasks_and_local_run_write_the_same_bytes(ray_local: None, shared_data: Path, tmp_path: Path) -> None:
    bpe = train_bpe(tmp_path / "tokenizer.json", docs(shared_data, "en", 40) + docs(shared_data, "fr", 40))
    web = write_web(tmp_path / "data", shared_data, ["en", "fr"], n_docs=20, shards=3)
    base = ["tokenize", "--input", f"web={web}", "--tokenizer", str(bpe), "--append-eod", "--quiet"]
    assert main([*base, "--runner", "local", "--output", str(tmp_path / "local")]) == 0
    assert main([*base, "--runner", "ray", "--output", str(tmp_path / "ray")]) == 0
    for name in ["web/en.bin", "web/en.idx", "web/fr.bin", "web/fr.idx"]:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert not (tmp_path / "ray" / "_tmp").exists()
