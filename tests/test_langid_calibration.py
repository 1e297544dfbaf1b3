import pytest

from curation.config import TARGET_LANGUAGES, LangIdConfig
from filters.langid import LangIdStage
from filters.langid_calibration import (
    FINEWEB2_CEILING,
    FINEWEB2_FLOOR,
    fineweb2_threshold,
    langid_threshold,
    load_min_scores,
)


def test_threshold_is_median_minus_std_inside_the_clamp():
    # median 0.8, population std of (0.6, 0.8, 1.0) = 0.1633 -> 0.6367
    assert fineweb2_threshold([0.6, 0.8, 1.0]) == pytest.approx(0.8 - 0.16329931618554522)


def test_confident_language_is_capped_at_0_9():
    assert fineweb2_threshold([0.99, 0.99, 0.99, 1.0]) == 0.9


def test_unsure_language_is_floored_at_0_3():
    assert fineweb2_threshold([0.1, 0.2, 0.9, 0.3]) == 0.3


def test_empty_sample_gives_the_floor():
    assert fineweb2_threshold([]) == 0.3


def test_scores_outside_unit_interval_are_an_error():
    with pytest.raises(ValueError, match="must lie in"):
        fineweb2_threshold([0.5, 1.5])


def test_project_rule_rounds_fineweb2_to_three_decimals():
    assert langid_threshold([0.6, 0.8, 1.0]) == 0.637


def test_shipped_thresholds_give_every_language_a_calibrated_min_score():
    scores = load_min_scores()
    assert set(scores) == set(TARGET_LANGUAGES)
    assert all(FINEWEB2_FLOOR <= s <= FINEWEB2_CEILING for s in scores.values())


def test_a_thresholds_file_without_a_langid_section_gives_no_scores(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("version: 1\nlanguages: {}\n", encoding="utf-8")
    assert load_min_scores(path) == {}


def test_a_bad_langid_threshold_names_the_file_and_language(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("langid:\n  min_scores:\n    ms: 1.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t.yaml: langid.min_scores.ms must be a number in \[0, 1\]"):
        load_min_scores(path)


def test_missing_thresholds_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="language-ID thresholds file not found"):
        load_min_scores(tmp_path / "nope.yaml")


def test_stage_threshold_order_is_config_then_calibrated_then_global(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("langid:\n  min_scores:\n    de: 0.8\n    ms: 0.7\n", encoding="utf-8")
    stage = LangIdStage(LangIdConfig(min_score=0.5, min_scores={"ms": 0.4}, thresholds_path=str(path)))
    stage.setup()
    assert (stage.min_score("ms"), stage.min_score("de"), stage.min_score("fr")) == (0.4, 0.8, 0.5)


def test_calibrated_false_keeps_the_global_threshold():
    stage = LangIdStage(LangIdConfig(min_score=0.5, calibrated=False))
    stage.setup()
    assert stage.min_score("de") == 0.5


def test_default_stage_uses_the_shipped_calibrated_thresholds():
    stage = LangIdStage(LangIdConfig())
    stage.setup()
    assert stage.min_score("de") == load_min_scores()["de"] != LangIdConfig().min_score
