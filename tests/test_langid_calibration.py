import pytest

from filters.langid_calibration import fineweb2_threshold, langid_threshold


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
