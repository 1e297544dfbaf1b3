"""LASER scoring: margins, batching by tokens, start-up checks, and the stage contract."""

from __future__ import annotations

import numpy as np
import pytest

from curation import schema
from curation.io.bitext_schema import from_rows
from filters.laser import LaserModelMissing, LaserStage, check_model_dir
from filters.laser_margin import cosine_scores, margin_scores
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
