"""LASER scoring: margins, batching by tokens, start-up checks, and the stage contract."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from curation import schema
from curation.io.bitext_schema import WINDOW, WINDOW_ROWS, from_rows
from curation.stage import set_column
from filters.laser import LaserModelMissing, LaserStage, check_model_dir, select_device
from filters.laser_margin import cosine_scores, margin_scores
from filters.laser_window import WindowSplitError, window_groups
from pipelines.parallel_config import LaserConfig
from tests.test_laser_tiny_model import build_tiny_laser, tatoeba_lines


@pytest.fixture(scope="module")
def tiny_laser(tmp_path_factory, shared_data):
    return build_tiny_laser(tmp_path_factory.mktemp("laser"), tatoeba_lines(shared_data))


def stage_for(model_dir, **kw) -> LaserStage:
    stage = LaserStage(LaserConfig(enabled=True, model_dir=str(model_dir), **kw))
    stage.setup()
    return stage


def pairs_table(src: list[str], tgt: list[str], reasons: list[str | None] | None = None):
    reasons = reasons or [None] * len(src)
    rows = [{"id": str(i), "source": "t", "src_lang": "en", "tgt_lang": "fr", "pair": "en-fr", "src": s, "tgt": t,
             "reject_reason": r, schema.UNIT_ID: "u", schema.RECORD_INDEX: i}
            for i, (s, t, r) in enumerate(zip(src, tgt, reasons))]
    return from_rows(rows)


def test_margin_matches_a_hand_computed_example():
    # sim = [[1, .6], [0, .8]]; k=2: forward means [.8, .4], backward means [.5, .7]
    # margin_1 = 1 / ((.8 + .5) / 2) = 20/13, margin_2 = .8 / ((.4 + .7) / 2) = 16/11
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert np.allclose(margin_scores(x, y, k=2), [20 / 13, 16 / 11])
    assert np.allclose(cosine_scores(x, y), [1.0, 0.8])


def test_margin_with_k1_divides_by_the_best_neighbours():
    # k=1: forward maxima [1, .8], backward maxima [1, .8] -> both margins are exactly 1
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert np.allclose(margin_scores(x, y, k=1), [1.0, 1.0])


def test_identical_sentence_pairs_rank_above_shuffled_pairs(tiny_laser, shared_data):
    sentences = tatoeba_lines(shared_data, 40)[:40]
    stage = stage_for(tiny_laser, k=4)
    same_cos, same_margin = stage.score(sentences, sentences)
    shuffled = sentences[7:] + sentences[:7]
    shuf_cos, shuf_margin = stage.score(sentences, shuffled)
    assert same_cos.min() > shuf_cos.max()
    assert np.median(same_margin) > np.median(shuf_margin)
    assert same_margin.mean() > 1.0 > shuf_margin.mean()


def test_batching_by_tokens_gives_the_same_scores_as_one_by_one(tiny_laser, shared_data):
    lines = tatoeba_lines(shared_data, 30)
    src, tgt = lines[:30], lines[30:60]
    one_by_one = stage_for(tiny_laser, max_sentences=1, max_tokens=1_000_000)
    by_tokens = stage_for(tiny_laser, max_tokens=40)
    assert by_tokens._pipeline.encoder.max_tokens == 40
    a, b = one_by_one.embed(src), by_tokens.embed(src)
    assert np.allclose(a, b, atol=1e-5)
    for x, y in zip(one_by_one.score(src, tgt), by_tokens.score(src, tgt)):
        assert np.allclose(x, y, atol=1e-5)


def test_missing_model_directory_fails_at_start_up_with_the_download_command(tmp_path):
    cfg = LaserConfig(enabled=True, model_dir=str(tmp_path / "nowhere"))
    with pytest.raises(LaserModelMissing) as err:
        check_model_dir(cfg)
    assert (f"python -m laser_encoders.download_models --laser laser2 --model-dir {tmp_path / 'nowhere'}"
            in str(err.value))


def test_default_model_directory_is_the_asset_dir_and_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATION_ASSETS", str(tmp_path))
    with pytest.raises(LaserModelMissing) as err:
        check_model_dir(LaserConfig(enabled=True))
    assert str(err.value) == (
        f"LASER model not found: {tmp_path / 'laser'} lacks laser2.pt, laser2.spm, laser2.cvocab; download it with: "
        f"python -m laser_encoders.download_models --laser laser2 --model-dir {tmp_path / 'laser'} "
        "(or set parallel.laser.enabled: false)")


def test_stage_scores_active_pairs_and_rejects_below_the_margin(tiny_laser, shared_data):
    lines = tatoeba_lines(shared_data, 12)
    src = lines[:12]
    tgt = list(src[:6]) + lines[12:18]  # six identical pairs, six unrelated ones
    reasons = [None] * 11 + ["url"]
    out = stage_for(tiny_laser, k=3, min_margin=1.0)(pairs_table(src, tgt, reasons))
    got = out.to_pylist()
    assert [r["reject_reason"] for r in got[:6]] == [None] * 6
    assert all(r["laser_score"] > 1.0 and r["laser_cosine"] == pytest.approx(1.0, abs=1e-5) for r in got[:6])
    assert got[11]["reject_reason"] == "url" and got[11]["laser_score"] is None
    low = [r for r in got[6:11] if r["reject_reason"] == "laser_low_margin"]
    assert low and all(r["laser_score"] < 1.0 for r in low)


def test_a_window_too_small_for_k_neighbours_gets_no_margin(tiny_laser):
    out = stage_for(tiny_laser, k=4)(pairs_table(["a cat.", "a dog."], ["a cat.", "the sea."]))
    assert out.column("laser_score").to_pylist() == [None, None]
    assert out.column("reject_reason").to_pylist() == [None, None]


def windowed(table, unit: str, window: int):
    n = table.num_rows
    table = table.set_column(table.schema.get_field_index(schema.UNIT_ID), schema.UNIT_ID, pa.array([unit] * n))
    table = set_column(table, WINDOW, pa.array([window] * n, pa.int64()))
    return set_column(table, WINDOW_ROWS, pa.array([n] * n, pa.int64()))


def test_window_groups_finds_whole_windows_of_several_units():
    a = windowed(pairs_table(["a"] * 3, ["b"] * 3), "u1", 0)
    b = windowed(pairs_table(["c"] * 2, ["d"] * 2), "u2", 5)
    c = windowed(pairs_table(["e"] * 2, ["f"] * 2), "u1", 1)
    assert window_groups(pa.concat_tables([a, b, c])) == [[0, 1, 2], [3, 4], [5, 6]]


def test_rows_without_window_numbers_form_one_window():
    assert window_groups(pairs_table(["a"] * 3, ["b"] * 3)) == [[0, 1, 2]]


def test_a_batch_with_part_of_a_window_is_an_error():
    table = windowed(pairs_table(["a"] * 4, ["b"] * 4), "u1", 2)
    with pytest.raises(WindowSplitError, match="window 2 of unit u1 has 3 of its 4 rows"):
        window_groups(table.slice(0, 3))


def test_a_batch_of_several_windows_scores_each_window_alone(tiny_laser, shared_data):
    lines = tatoeba_lines(shared_data, 40)
    first = windowed(pairs_table(lines[:12], lines[40:52]), "u", 0)
    second = windowed(pairs_table(lines[12:22], lines[52:62]), "u", 1)
    stage = stage_for(tiny_laser, k=3, min_margin=None)
    alone = pa.concat_tables([stage(first), stage(second)])
    together = stage(pa.concat_tables([first, second]))
    for col in ("laser_cosine", "laser_score"):
        assert together.column(col).to_pylist() == alone.column(col).to_pylist()
    assert None not in together.column("laser_score").to_pylist()


def test_device_auto_takes_the_gpu_only_when_one_is_visible():
    assert select_device("auto", cuda_available=False) == "cpu"
    assert select_device("auto", cuda_available=True) == "cuda"
    assert select_device("cpu", cuda_available=True) == "cpu"
    assert select_device("cuda", cuda_available=True) == "cuda"


def test_device_cuda_without_a_gpu_is_an_error():
    with pytest.raises(RuntimeError, match="device is cuda but no GPU is visible"):
        select_device("cuda", cuda_available=False)


def test_stage_puts_the_encoder_on_the_selected_device(tiny_laser):
    import torch

    stage = stage_for(tiny_laser)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert stage.device == expected and stage._pipeline.encoder.use_cuda == (expected == "cuda")
    assert {p.device.type for p in stage._pipeline.encoder.encoder.parameters()} == {expected}


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a GPU")
def test_gpu_scores_match_cpu_scores(tiny_laser, shared_data):
    lines = tatoeba_lines(shared_data, 30)
    gpu, cpu = stage_for(tiny_laser, device="cuda"), stage_for(tiny_laser, device="cpu")
    for x, y in zip(gpu.score(lines[:30], lines[30:60]), cpu.score(lines[:30], lines[30:60])):
        assert np.allclose(x, y, atol=1e-4)
