"""Corruptions used to choose (validation) and judge (FLORES test) the perplexity models."""

import random

from filters.lm_corrupt import KINDS, auc, chars_replaced, corrupt, shuffled


def test_auc_by_hand():
    assert auc([1, 2, 3], [4, 5, 6]) == 1.0
    assert auc([4, 5, 6], [1, 2, 3]) == 0.0
    assert auc([1, 3], [2]) == 0.5
    assert auc([1, 2], [1, 2]) == 0.5  # ties count half


def test_shuffle_keeps_the_words_and_changes_the_order():
    s = "the cat sat on the mat today"
    out = shuffled(s, "en", random.Random(1))
    assert out != s and sorted(out.split()) == sorted(s.split())


def test_languages_without_spaces_shuffle_characters():
    s = "我们今天去公园散步"
    out = shuffled(s, "zh", random.Random(1))
    assert out != s and sorted(out) == sorted(s)


def test_a_quarter_of_characters_is_replaced_from_the_alphabet():
    s = "abcdefghijklmnopqrst"
    out = chars_replaced(s, ["Z"], random.Random(0))
    assert len(out) == len(s) and out.count("Z") == 5


def test_one_corruption_per_line_and_kind(shared_data):
    en = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[:20]
    de = (shared_data / "sentences" / "de.txt").read_text(encoding="utf-8").splitlines()[:20]
    out = corrupt("en", en, {"en": en, "de": de})
    assert tuple(out) == KINDS
    assert all(len(v) == 20 for v in out.values())
    assert out["other_lang"] == de


def test_menus_without_spaces_are_made_of_word_sized_items():
    zh = ["我们今天去公园散步，好吗？", "中国人民银行发布新的政策。"] * 4
    menu = corrupt("zh", zh, {"zh": zh, "de": ["ein Satz"]})["boilerplate"][0]
    items, year = menu.rsplit(" © ", 1)
    parts = [p for sep in (" | ", " » ", " · ") if sep in items for p in items.split(sep)]
    assert len(parts) == 8 and all(len(p) == 2 for p in parts) and year.isdigit()
