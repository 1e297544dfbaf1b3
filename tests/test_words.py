"""Word segmentation: one definition per script family, correct on real sentences."""

from __future__ import annotations

from pathlib import Path

from filters.words import words


def test_latin_words_are_letter_runs_without_punctuation() -> None:
    assert words("Die Würde des Menschen ist unantastbar.", "de") == ["Die", "Würde", "des", "Menschen", "ist",
                                                                       "unantastbar"]


def test_underscores_and_symbols_separate_words() -> None:
    assert words("foo_bar © 3.5 x+y", "en") == ["foo", "bar", "3", "5", "x", "y"]


def test_devanagari_vowel_signs_stay_inside_the_word() -> None:
    assert words("नेपाल एक सुंदर देश है।", "ne") == ["नेपाल", "एक", "सुंदर", "देश", "है"]


def test_bengali_conjuncts_stay_inside_the_word() -> None:
    assert words("সকল মানুষ স্বাধীনভাবে", "bn") == ["সকল", "মানুষ", "স্বাধীনভাবে"]


def test_arabic_and_hangul_split_on_spaces() -> None:
    assert words("يولد جميع الناس أحراراً", "ar") == ["يولد", "جميع", "الناس", "أحراراً"]
    assert words("모든 인간은 태어날 때부터", "ko") == ["모든", "인간은", "태어날", "때부터"]


def test_chinese_is_segmented_into_dictionary_words() -> None:
    assert words("我们在尊严和权利上一律平等。", "zh") == ["我们", "在", "尊严", "和", "权利", "上", "一律平等"]


def test_japanese_words_are_script_runs() -> None:
    assert words("人間はコンピュータを2024年、自由であり人々", "ja") == [
        "人間", "は", "コンピュータ", "を", "2024", "年", "自由", "であり", "人々"]


def test_thai_is_segmented_with_a_dictionary() -> None:
    assert words("มนุษย์ทั้งหลายเกิดมา abc", "th") == ["มนุษย์", "ทั้งหลาย", "เกิด", "มา", "abc"]


def test_unknown_language_uses_the_generic_definition() -> None:
    assert words("Hello 世界", None) == ["Hello", "世", "界"]


def test_empty_text_has_no_words() -> None:
    assert words("", "zh") == []
    assert words(" \n ", "th") == []


def test_every_language_finds_words_in_its_own_sentences(shared_data: Path) -> None:
    from curation.config import TARGET_LANGUAGES

    ntrex = {"kk": "kaz", "az": "aze-Latn", "ne": "nep"}
    for lang in TARGET_LANGUAGES:
        path = shared_data / "sentences" / f"{lang}.txt"
        if lang in ntrex:
            path = shared_data / "ntrex128" / f"newstest2019-ref.{ntrex[lang]}.txt"
        text = "\n".join(path.read_text(encoding="utf-8").splitlines()[:50])
        ws = words(text, lang)
        # Every character of a word is a letter, digit or mark; words cover most of the letters.
        letters = sum(c.isalpha() for c in text)
        covered = sum(sum(c.isalpha() for c in w) for w in ws)
        assert covered / letters > 0.97, lang


def test_lone_surrogates_do_not_break_the_rust_segmenters() -> None:
    assert words("中文\ud800测试", "zh") == ["中文", "测试"]
    assert words("ทดสอบ\ud800", "th") == ["ทดสอบ"]
