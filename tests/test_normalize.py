"""CCNet's normalisation (filters/normalize.py): what the LMs were trained on; and the
"keep_marks" mode our models of mark-bearing scripts may record."""

import unicodedata

import pytest

from filters.normalize import normalize_line, strip_accents


def test_lower_cases_and_strips_accents():
    assert normalize_line("Ça Coûte CHER à Zürich") == "ca coute cher a zurich"


def test_every_digit_becomes_zero_including_non_ascii_digits():
    assert normalize_line("Tel. 030 1234-56, ٢٠٢٤, १९४७, ２０") == "tel. 000 0000-00, 0000, 0000, 00"


def test_unicode_punctuation_becomes_ascii():
    assert normalize_line("«Hello» — world… „ja“ ？！（）【x】") == '"hello"  -  world... "ja" ?!()[x]'


def test_control_characters_are_removed_but_not_spaces():
    assert normalize_line("a\tb\x00c\x85d e\x7f") == "abcd e"


def test_outer_whitespace_is_stripped_and_blank_lines_stay_empty():
    assert normalize_line("  \t ") == ""
    assert normalize_line("  Hi there  ") == "hi there"


def test_accent_stripping_leaves_nfd_like_ccnet():
    # Hangul decomposes to jamo (no combining marks to drop); CCNet's models saw this form.
    assert strip_accents("한국") == unicodedata.normalize("NFD", "한국")
    assert strip_accents("한국") != "한국"


def test_real_flores_free_sentence_in_german(shared_data):
    line = (shared_data / "sentences" / "de.txt").read_text(encoding="utf-8").splitlines()[0]
    out = normalize_line(line)
    assert out == out.lower()
    assert not any(c.isdigit() and c != "0" for c in out)
    assert not any(unicodedata.category(c) == "Mn" for c in out)


def test_strip_accents_matches_the_per_character_rule_on_every_language(shared_data) -> None:
    """The ASCII and below-U+0300 shortcuts drop exactly what testing every character drops."""

    def reference(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")

    files = sorted((shared_data / "sentences").glob("*.txt"))
    assert len(files) >= 29
    for f in files:
        lines = f.read_text(encoding="utf-8").split("\n")[:200]
        assert [strip_accents(x.lower()) for x in lines] == [reference(x.lower()) for x in lines], f.name


def test_ccnet_mode_is_the_default_and_drops_indic_and_thai_marks():
    # Bengali virama and vowel sign U, Devanagari vowel sign E and virama, Thai vowels and tones
    # are nonspacing marks; CCNet's accent stripping deletes them (spacing signs like I/AA stay).
    assert normalize_line("কিন্তু") == normalize_line("কিন্তু", "ccnet") == "কিনত"
    assert normalize_line("नेपाल्") == "नपाल"
    assert normalize_line("ที่นี่") == "ทน"
    assert normalize_line("Қазақстан йогурт") == "қазақстан иогурт"


def test_keep_marks_keeps_nonspacing_marks_in_nfc():
    assert normalize_line("কিন্তু", "keep_marks") == "কিন্তু"
    assert normalize_line("नेपाल्", "keep_marks") == "नेपाल्"
    assert normalize_line("ที่นี่", "keep_marks") == "ที่นี่"
    assert normalize_line("Қазақстан йогурт", "keep_marks") == "қазақстан йогурт"
    assert normalize_line("Ça Coûte", "keep_marks") == "\u00e7a co\u00fbte"  # composed, not c + U+0327


def test_keep_marks_leaves_hangul_in_syllables_where_ccnet_leaves_jamo():
    assert normalize_line("한국", "keep_marks") == "\ud55c\uad6d"
    assert normalize_line("한국", "ccnet") == "\u1112\u1161\u11ab\u1100\u116e\u11a8"


def test_keep_marks_applies_the_other_ccnet_rules_unchanged():
    line = "  Tel. ٢٠٢٤ — «Hello»\x00 ১৯৪৭！ "
    assert normalize_line(line, "keep_marks") == normalize_line(line, "ccnet") == 'tel. 0000  -  "hello" 0000!'


def test_unknown_normalisation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown normalisation 'nfkc'"):
        normalize_line("x", "nfkc")
