"""The pieces of the stats on single values: stage of a reason, bins, thresholds, signals."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from curation.config import parse_config
from curation.stats_build import StatsSettings, bin_bounds, bin_edges, histogram, signal_columns
from curation.stats_mix import mix_category
from curation.stats_stages import STAGES, stage_of, stage_order
from curation.stats_thresholds import find_thresholds


@pytest.mark.parametrize("reason,stage", [
    (None, "kept"), ("http_status", "reader"), ("input_error", "reader"), ("non_html", "reader"),
    ("url_adult", "url"), ("url_gambling", "url"), ("extract_timeout", "extract"), ("extract_empty", "extract"),
    ("language_low_confidence", "langid"), ("language_unsupported", "langid"),
    ("quality_too_short", "quality"), ("quality_stopword_ratio", "quality"), ("perplexity_high", "perplexity"),
    ("near_duplicate", "dedup"), ("substring_dedup_short", "dedup"), ("exact_duplicate", "dedup"),
    ("something_new", "other"),
])
def test_each_reason_maps_to_the_stage_that_sets_it(reason, stage):
    assert stage_of(reason) == stage


def test_funnel_stages_follow_the_data_flow():
    assert STAGES == ["reader", "url", "extract", "langid", "quality", "perplexity", "dedup", "other"]
    assert sorted(["kept", "dedup", "reader"], key=stage_order) == ["reader", "dedup", "kept"]


def test_ratio_signals_get_linear_bins_and_lengths_log_bins():
    s = StatsSettings(histogram_bins=20, log_bins_per_decade=5)
    assert np.allclose(bin_edges("q_stopword_ratio", s), np.linspace(0, 1, 21))
    assert np.allclose(bin_edges("language_score", s), np.linspace(0, 1, 21))
    edges = bin_edges("n_words", s)
    assert len(edges) == 36 and edges[0] == 1 and edges[-1] == 1e7


def test_histogram_puts_edge_values_and_outliers_in_the_right_bins():
    edges = np.linspace(0, 1, 5)  # [0, .25) [.25, .5) [.5, .75) [.75, 1]
    counts = histogram(np.array([0.0, 0.25, 0.3, 1.0, -0.1, 1.5, 2.0]), edges)
    assert counts == {0: 1, 1: 2, 3: 1, -1: 1, 4: 2}
    assert bin_bounds(-1, edges) == (-np.inf, 0.0) and bin_bounds(4, edges) == (1.0, np.inf)
    assert bin_bounds(1, edges) == (0.25, 0.5)


def test_signals_are_the_numeric_columns_except_ids_and_http_status():
    schema = pa.schema([("id", pa.string()), ("http_status", pa.int32()), ("language_score", pa.float32()),
                        ("n_words", pa.int64()), ("perplexity", pa.float64()), ("dup_cluster_id", pa.int64()),
                        ("dup_cluster_size", pa.int64()), ("q_stopword_ratio", pa.float64()),
                        ("_record_index", pa.int64()), ("perplexity_bucket", pa.string())])
    assert signal_columns(schema) == ["language_score", "n_words", "perplexity", "dup_cluster_size",
                                      "q_stopword_ratio"]


def test_thresholds_are_found_in_the_config_by_signal_name():
    cfg = parse_config({"langid": {"min_score": 0.6, "min_scores": {"ms": 0.3}}}).model_dump(mode="json")
    th = find_thresholds(cfg, ["language_score", "n_chars"], "config")
    rows = {(r.signal, r.language, r.bound): r.value for r in th.itertuples()}
    assert rows[("language_score", "*", "min")] == 0.6
    assert rows[("language_score", "ms", "min")] == 0.3
    assert rows[("n_chars", "*", "min")] == 1.0


def test_thresholds_file_layouts_per_language_group_and_cutoff():
    quality = {"languages": {"de": {"min": {"stopword_ratio": 0.1}, "max": {"digit_ratio": 0.3}}},
               "groups": {"latin": {"min": {"stopword_ratio": 0.05}}}}
    perplexity = {"perplexity": {"k": 3.0, "languages": {"ar": {"n": 100, "median": 190.3, "cutoff": 1479.3}}}}
    signals = ["q_stopword_ratio", "q_digit_ratio", "perplexity"]
    q = {(r.signal, r.language, r.bound): r.value for r in find_thresholds(quality, signals, "q").itertuples()}
    assert q == {("q_stopword_ratio", "de", "min"): 0.1, ("q_digit_ratio", "de", "max"): 0.3,
                 ("q_stopword_ratio", "group:latin", "min"): 0.05}
    p = {(r.signal, r.language, r.bound): r.value for r in find_thresholds(perplexity, signals, "p").itertuples()}
    assert p == {("perplexity", "ar", "cutoff"): 1479.3}


def test_languages_map_to_the_planner_categories():
    assert [mix_category(x) for x in ["en", "zh", "de", "ru", "ne", "fy"]] == [
        "english", "chinese", "high_resource", "low_resource", "low_resource", None]


def test_curate_stats_on_a_directory_without_a_run_is_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "curation.cli", "stats", str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [f"curate: error: not a curate output directory (no _ledger): {tmp_path}"]


def test_stats_read_neither_the_text_nor_the_signatures_when_lengths_are_stored():
    from curation.stats_build import stats_columns

    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("language", pa.string()),
                        ("reject_reason", pa.string()), ("n_chars", pa.int64()), ("n_words", pa.int64()),
                        ("minhash", pa.list_(pa.uint64())), ("language_score", pa.float64()),
                        ("dup_cluster_id", pa.int64())])
    assert stats_columns(schema, tokens=False) == ["language", "reject_reason", "n_chars", "n_words",
                                                   "language_score"]
    # Model tokens are counted from the text; a file without n_words (an older run) counts words in it.
    assert "text" in stats_columns(schema, tokens=True)
    assert "text" in stats_columns(pa.schema([f for f in schema if f.name != "n_words"]), tokens=False)
