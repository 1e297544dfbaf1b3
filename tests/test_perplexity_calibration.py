"""Per-language cutoffs (robust z-score in log space) and CCNet's 30/60 bucket edges."""

import math

import pytest

from filters.perplexity_calibration import (
    bucket,
    calibrate_perplexity,
    default_thresholds_path,
    language_thresholds,
    load_thresholds,
)


def test_cutoff_is_median_plus_k_robust_sigmas_in_log_space():
    t = language_thresholds([10.0, 100.0, 1000.0], k=3.0)
    # ln values: median ln 100, MAD ln 10 -> exp(ln 100 + 3 * 1.4826 * ln 10)
    assert t["median"] == 100.0
    assert t["cutoff"] == round(100.0 * 10 ** (3 * 1.4826), 1)
    assert t["n"] == 3


def test_bucket_edges_are_the_30th_and_60th_percentiles():
    t = language_thresholds([float(x) for x in range(1, 101)])
    assert t["head"] == pytest.approx(30.7, abs=0.05)
    assert t["tail"] == pytest.approx(60.4, abs=0.05)


def test_buckets():
    edges = {"head": 30.0, "tail": 60.0, "cutoff": 100.0}
    assert [bucket(x, edges) for x in (29.9, 30.0, 59.9, 60.0, 1e6)] == ["head", "middle", "middle", "tail", "tail"]


def test_one_junk_document_does_not_move_the_cutoff_much():
    base = [100.0 * math.exp(0.1 * (i % 7 - 3)) for i in range(200)]
    assert language_thresholds(base + [1e9])["cutoff"] == pytest.approx(language_thresholds(base)["cutoff"], rel=0.02)


def test_languages_with_too_few_documents_are_left_out():
    section = calibrate_perplexity({"en": [100.0] * 50, "ne": [80.0] * 5}, min_docs=20)
    assert set(section["languages"]) == {"en"}
    assert section["k"] == 3.0


def test_default_thresholds_cover_all_29_languages():
    from curation.config import TARGET_LANGUAGES

    t = load_thresholds(default_thresholds_path())
    assert set(t) == set(TARGET_LANGUAGES)
    assert all(v["head"] <= v["tail"] < v["cutoff"] for v in t.values())


def test_thresholds_missing_a_key_fail_with_the_language(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("perplexity:\n  languages:\n    en: {head: 1, tail: 2}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'en' lack \\['cutoff'\\]"):
        load_thresholds(p)
