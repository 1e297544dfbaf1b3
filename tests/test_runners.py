import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import parse_config
from curation.io.ledger import Ledger
from curation.runners.common import prepare
from curation.runners.local import run_local
from pipelines.web import build_stages
from tests.output_rows import output_files, row_set

CONTRACT = ["id", "url", "source", "warc_record_id", "fetch_time", "text", "language", "language_score",
            "perplexity", "reject_reason", "n_words"]


def config(inputs: list[str], out: Path, runner: str = "local", runner_extra: dict | None = None, **extra):
    return parse_config({"input": {"paths": inputs}, "output": {"path": str(out)},
                         "runner": {"kind": runner, **(runner_extra or {})}, **extra})


def run(cfg, force: bool = False):
    ctx = prepare(cfg, force=force)
    if cfg.runner.kind == "local":
        return run_local(ctx, build_stages(cfg))
    from curation.runners.ray_runner import run_ray

    return run_ray(ctx, build_stages(cfg))


@pytest.fixture(scope="module")
def local_out(tmp_path_factory, small_warcs):
    out = tmp_path_factory.mktemp("local")
    run(config(small_warcs, out))
    return out


def test_output_follows_the_layout_with_contract_columns(local_out):
    langs = {p.parent.name for p in local_out.glob("data/language=*/part-*.parquet")}
    # Kept pages of these samples: English (wget) and Russian (CC); their two Chinese pages, a
    # company footer and a job-board menu, fail quality rules (stop words, short lines).
    assert {"language=en", "language=ru"} <= langs
    assert list(local_out.glob("rejected/part-*.parquet"))
    for f in output_files(local_out):
        meta = pq.read_metadata(f)
        assert meta.row_group(0).column(0).compression == "ZSTD"
        names = pq.read_schema(f).names
        assert all(c in names for c in CONTRACT)
        assert not [n for n in names if n.startswith("_")]
    assert not list((local_out / "_tmp").rglob("*.parquet"))


def test_kept_rows_sit_in_their_language_partition(local_out):
    for f in local_out.glob("data/language=*/part-*.parquet"):
        t = pq.read_table(f, columns=["language", "reject_reason", "text"])
        assert set(t.column("language").to_pylist()) == {f.parent.name.split("=", 1)[1]}
        assert set(t.column("reject_reason").to_pylist()) == {None}
        assert all(t.column("text").to_pylist())


def test_every_input_record_is_accounted_for(local_out, small_warcs):
    entries = Ledger(local_out).entries()
    assert sorted(e.uri for e in entries.values()) == sorted(small_warcs)
    assert sum(e.n_rows for e in entries.values()) == len(row_set(local_out))
    assert all(e.n_rows == e.n_kept + e.n_rejected for e in entries.values())


@pytest.mark.parametrize("engine", ["actors", "data"])
def test_ray_runner_gives_the_same_rows_as_the_local_runner(engine, local_out, small_warcs, tmp_path):
    run(config(small_warcs, tmp_path, runner="ray", runner_extra={"engine": engine}, read={"chunk_rows": 7},
               extract={"batch_size": 5}))
    assert row_set(tmp_path) == row_set(local_out)


def test_ray_runner_slicing_every_unit_gives_the_same_rows_as_the_local_runner(local_out, small_warcs, tmp_path):
    """The actor engine with ``whole_units`` off: every unit read by the driver and sliced (the
    default run above takes the first units whole)."""
    run(config(small_warcs, tmp_path, runner="ray", runner_extra={"engine": "actors", "whole_units": False},
               read={"chunk_rows": 7}, extract={"batch_size": 5}))
    assert row_set(tmp_path) == row_set(local_out)


def test_actors_take_whole_units_except_the_last_one_per_actor():
    from curation.runners.ray_actors import whole_unit_flags

    assert whole_unit_flags(5, 2) == [True, True, True, False, False]
    assert whole_unit_flags(2, 2) == [False, False]
    assert whole_unit_flags(1, 4) == [False]
    assert whole_unit_flags(12, 2) == [True] * 10 + [False] * 2


@pytest.mark.parametrize("engine", ["actors", "data"])
def test_ray_runner_with_one_pool_per_stage_gives_the_same_rows(engine, local_out, small_warcs, tmp_path):
    import ray

    ray.shutdown()  # a fresh embedded Ray with room for one actor per stage
    n_stages = len(build_stages(config(small_warcs, tmp_path)))
    run(config(small_warcs, tmp_path, runner="ray", read={"chunk_rows": 7},
               runner_extra={"fuse_stages": False, "num_cpus": n_stages, "engine": engine}))
    ray.shutdown()
    assert row_set(tmp_path) == row_set(local_out)


def test_one_pool_per_stage_that_cannot_fit_fails_before_it_starts():
    from curation.runners.ray_runner import pool_sizes
    from curation.stage import Resources

    with pytest.raises(ValueError, match=r"6 CPU actor pools need at least 6 CPUs .* has 2.*fuse_stages"):
        pool_sizes([Resources(cpus=1)] * 6, cpus=2, cap=None)


def test_pools_shrink_until_their_declared_memory_fits():
    from curation.runners.ray_runner import pool_sizes
    from curation.stage import Resources

    # two 2 GB actors fit in 6 GB, three do not (a LASER pool on a small embedded Ray)
    assert pool_sizes([Resources(cpus=1, memory_mb=2048)], cpus=3, cap=None, memory_mb=6000) == [2]
    assert pool_sizes([Resources(cpus=1, memory_mb=2048)], cpus=3, cap=None, memory_mb=None) == [3]


def test_a_pool_whose_one_actor_exceeds_the_memory_fails_before_it_starts():
    from curation.runners.ray_runner import pool_sizes
    from curation.stage import Resources

    with pytest.raises(ValueError, match=r"declares 8192 MB of memory but the cluster has 6000 MB"):
        pool_sizes([Resources(cpus=1, memory_mb=8192)], cpus=2, cap=None, memory_mb=6000)


def test_pools_share_the_cpus_in_proportion_to_their_needs():
    from curation.runners.ray_runner import pool_sizes
    from curation.stage import Resources

    assert pool_sizes([Resources(cpus=1)], cpus=16, cap=None) == [16]
    assert pool_sizes([Resources(cpus=1)], cpus=16, cap=4) == [4]
    assert pool_sizes([Resources(cpus=2), Resources(cpus=1), Resources(cpus=1)], cpus=8, cap=None) == [2, 2, 2]
    assert pool_sizes([Resources(cpus=1), Resources(cpus=1, gpus=1)], cpus=4, cap=None, gpus=2) == [4, 2]


def test_units_are_committed_by_one_long_lived_committer_per_eight_actors():
    from curation.runners.ray_runner import committer_count

    assert [committer_count(n) for n in (1, 2, 8, 9, 64)] == [1, 1, 1, 2, 8]


def test_the_actor_engine_cuts_chunks_into_zero_copy_slices_of_the_batch_size(small_warcs):
    from curation.io.warc import read_unit
    from curation.runners.ray_actors import slices
    from curation.schema import HTML

    cfg = config(small_warcs, Path("unused"), read={"chunk_rows": 7})
    chunks = list(read_unit(small_warcs[0], "u", cfg.read))
    cut = list(slices(iter(chunks), 3))
    assert [s.num_rows for s in cut] == [n for c in chunks for n in _split(c.num_rows, 3)]
    assert pa.concat_tables(cut).equals(pa.concat_tables(chunks))
    # A slice shares the chunk's buffers: the pages are not copied on their way to an actor.
    assert cut[1].column(HTML).chunk(0).buffers()[2].address == chunks[0].column(HTML).chunk(0).buffers()[2].address


def _split(n: int, size: int) -> list[int]:
    return [min(size, n - i) for i in range(0, n, size)]


def test_a_window_scoring_stage_gets_whole_chunks_from_the_actor_engine(small_warcs):
    from curation.io.warc import read_unit
    from curation.runners.ray_actors import slices

    cfg = config(small_warcs, Path("unused"), read={"chunk_rows": 7})
    chunks = list(read_unit(small_warcs[0], "u", cfg.read))
    assert [s.num_rows for s in slices(iter(chunks), None)] == [c.num_rows for c in chunks]


def test_auto_engine_reads_in_the_driver_up_to_16_cpus_and_with_ray_data_above() -> None:
    from curation.runners.ray_runner import pick_engine

    assert [pick_engine("auto", n) for n in (1, 2, 16, 17, 640)] == ["actors"] * 3 + ["data"] * 2
    assert pick_engine("actors", 640) == "actors" and pick_engine("data", 2) == "data"


def test_one_concurrent_reader_per_eight_actors() -> None:
    from curation.runners.ray_runner import reader_count

    assert [reader_count(n) for n in (1, 2, 8, 9, 64)] == [1, 1, 1, 2, 8]


def test_fusing_groups_consecutive_cpu_stages_and_isolates_gpu_stages():
    from curation.runners.ray_runner import group_resources, group_stages
    from curation.stage import Resources, Stage

    class S(Stage):
        def __init__(self, name: str, res: Resources) -> None:
            super().__init__()
            self.name, self.resources = name, res

        def process(self, batch):
            return batch

    a, b = S("a", Resources(cpus=1.0, memory_mb=1024)), S("b", Resources(cpus=0.5, memory_mb=512))
    g, c = S("g", Resources(cpus=1.0, gpus=1.0)), S("c", Resources(cpus=0.25))
    assert [[s.name for s in grp] for grp in group_stages([a, b, g, c], fuse=True)] == [["a", "b"], ["g"], ["c"]]
    assert [[s.name for s in grp] for grp in group_stages([a, b, g, c], fuse=False)] == [["a"], ["b"], ["g"], ["c"]]
    assert group_resources([a, b]) == Resources(cpus=1.0, gpus=0.0, memory_mb=1536)


def test_rerun_skips_committed_units_and_force_redoes_them(small_warcs, tmp_path):
    cfg = config(small_warcs[:2], tmp_path)
    first = run(cfg)
    assert first.units_done == 2
    rows = row_set(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in output_files(tmp_path)}
    again = run(cfg)
    assert (again.units_done, again.units_skipped) == (0, 2)
    assert {p: p.stat().st_mtime_ns for p in output_files(tmp_path)} == before
    forced = run(cfg, force=True)
    assert (forced.units_done, forced.units_skipped) == (2, 0)
    assert row_set(tmp_path) == rows
    entry = json.loads(Ledger(tmp_path).path(forced.entries[0].unit_id).read_text())
    assert entry["run_id"] == forced.run_id != first.run_id


def test_chunking_does_not_change_the_rows(small_warcs, local_out, tmp_path):
    run(config(small_warcs, tmp_path, read={"chunk_rows": 3}, extract={"batch_size": 2}))
    assert row_set(tmp_path) == row_set(local_out)


def test_forced_rerun_with_other_settings_removes_stale_partitions(small_warcs, tmp_path):
    run(config(small_warcs[:1], tmp_path))
    assert list(tmp_path.glob("data/language=*/part-*.parquet"))
    run(config(small_warcs[:1], tmp_path, langid={"enabled": False}), force=True)
    langs = {p.parent.name for p in tmp_path.glob("data/language=*/part-*.parquet")}
    assert langs == {"language=und"}
