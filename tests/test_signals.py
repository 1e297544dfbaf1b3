"""Heuristic signals: exact values on small texts, and sane values on real text of every script."""

from __future__ import annotations

import pytest

from filters.signals import (
    SIGNALS,
    compute_signals,
    duplicate_fractions,
    max_dup_line_run,
    ngram_fractions,
    no_terminal_punct_ratio,
)

GERMAN = ("Die Würde des Menschen ist unantastbar.\nSie zu achten und zu schützen ist Verpflichtung aller "
          "staatlichen Gewalt.\nDie Würde des Menschen ist unantastbar.")


def test_compute_signals_returns_every_named_signal() -> None:
    assert sorted(compute_signals(GERMAN, "de")) == sorted(SIGNALS)


def test_lengths_and_mean_word_length() -> None:
    s = compute_signals("Ein Haus. Zwei Häuser!", "de")
    assert (s["chars"], s["words"], s["mean_word_len"]) == (22.0, 4.0, 4.25)


def test_special_ratio_counts_punctuation_and_symbols_not_letters_or_spaces() -> None:
    assert compute_signals("ab, c!", "en")["special_ratio"] == pytest.approx(2 / 6)


def test_digit_ratio() -> None:
    assert compute_signals("ab12", "en")["digit_ratio"] == 0.5


def test_stopword_ratio_uses_the_language_list() -> None:
    assert compute_signals("der Hund und die Katze", "de")["stopword_ratio"] == pytest.approx(3 / 5)
    assert compute_signals("der Hund und die Katze", "ja")["stopword_ratio"] == 0.0


def test_stopword_ratio_counts_japanese_particle_runs() -> None:
    # 人間 / は / 自由 / である: は and である are in the ja list.
    assert compute_signals("人間は自由である", "ja")["stopword_ratio"] == pytest.approx(2 / 4)


def test_terminal_punctuation_is_per_script() -> None:
    lines = ["自由である。", "नेपाल सुंदर है।", "هل هذا صحيح؟", "Ohne Punkt"]
    assert no_terminal_punct_ratio(lines) == 0.25


def test_longest_run_of_consecutive_duplicate_lines() -> None:
    assert max_dup_line_run(["a", "b", "b", "b", "a", "a"]) == 3
    assert max_dup_line_run([]) == 0


def test_duplicate_fractions_count_repeats_after_the_first() -> None:
    assert duplicate_fractions(["aa", "b", "aa", "aa"]) == (0.5, pytest.approx(4 / 7))


def test_top_and_duplicate_ngram_fractions_follow_gopher() -> None:
    ws = GERMAN.lower().replace(".", "").split()
    f = ngram_fractions(ws)
    total = sum(map(len, ws))
    assert f["top_2gram_frac"] == pytest.approx(2 * len("diewürde") / total)
    assert f["dup_6gram_frac"] == pytest.approx(2 * len("diewürdedesmenschenistunantastbar") / total)
    assert f["dup_7gram_frac"] == 0.0


def test_line_shape_ratios() -> None:
    s = compute_signals("• erster Punkt\n- zweiter Punkt\nund so weiter...\nEin langer, vollständiger Satz hier.", "de")
    assert (s["bullet_line_ratio"], s["ellipsis_line_ratio"], s["short_line_ratio"]) == (0.5, 0.25, 0.75)


def test_blockwords_match_whole_words_in_spaced_languages() -> None:
    assert compute_signals("porno hier", "de")["blockword_ratio"] == 0.5
    assert compute_signals("Pornografie ist ein Wort", "de")["blockword_ratio"] == 0.0


def test_blockwords_match_substrings_in_chinese() -> None:
    assert compute_signals("这是色情网站", "zh")["blockword_ratio"] > 0


def test_garbled_text_signals() -> None:
    s = compute_signals("caf\ufffd GrÃ¶ÃŸe \x07x", "de")
    assert s["replacement_ratio"] > 0 and s["mojibake_ratio"] > 0 and s["control_ratio"] > 0


def test_clean_text_has_no_garbling() -> None:
    s = compute_signals(GERMAN + "\nGröße, Ärger, Straße.", "de")
    assert (s["replacement_ratio"], s["mojibake_ratio"], s["control_ratio"]) == (0.0, 0.0, 0.0)


def test_script_mixing_counts_letters_outside_the_language_script() -> None:
    assert compute_signals("Привет мир", "de")["foreign_script_ratio"] == 1.0
    assert compute_signals("Привет iPhone", "ru")["foreign_script_ratio"] == 0.0  # Latin is tolerated
    assert compute_signals("人間はコンピュータ", "ja")["foreign_script_ratio"] == 0.0


def test_empty_text_gives_zeros_not_errors() -> None:
    s = compute_signals("", "th")
    assert all(v == 0.0 for v in s.values())
