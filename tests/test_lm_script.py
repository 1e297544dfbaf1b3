"""Default models learn only their own script: foreign letters are stripped from the training text
and unseen characters cost KenLM's <unk> per byte, so foreign text never looks fluent."""

import pytest

from filters.lm_model import LanguageModel
from filters.lm_script import letter_script, own_scripts, strip_foreign
from filters.lm_train import train_lm


def test_scripts_of_letters_after_normalisation():
    assert letter_script("a") == "LATIN"
    assert letter_script("ж") == "CYRILLIC"
    assert letter_script("中") == "CJK"
    assert letter_script("ー") == "KATAKANA-HIRAGANA"
    assert letter_script("ｱ") == "KATAKANA"  # halfwidth forms count as their script
    assert letter_script("0") is None and letter_script("|") is None and letter_script(" ") is None


def test_own_scripts_per_language():
    assert own_scripts("pl") == {"LATIN"}
    assert own_scripts("kk") == {"CYRILLIC"}
    assert {"CJK", "HIRAGANA", "KATAKANA"} <= own_scripts("ja")
    assert own_scripts("ur") == own_scripts("ar") == {"ARABIC"}


def test_strip_foreign_keeps_digits_punctuation_and_own_letters():
    assert strip_foreign("ราคา iphone 15 อยู่ที่ 000 บาท.", own_scripts("th")) == "ราคา 15 อยู่ที่ 000 บาท."
    assert strip_foreign("в 2019 году компания Apple | «выросла»", own_scripts("ru")) == \
        "в 2019 году компания | «выросла»"
    assert strip_foreign("Zażółć gęślą jaźń", own_scripts("pl")) == "Zażółć gęślą jaźń"


@pytest.fixture(scope="module")
def ru_model(tmp_path_factory, shared_data):
    lines = (shared_data / "sentences" / "ru.txt").read_text(encoding="utf-8").splitlines()
    out = tmp_path_factory.mktemp("ru-script")
    train_lm("ru", lines[:900] + ["Компания Apple выпустила iPhone в 2007 году."], out, vocab_size=1256,
             memory="64M", scripts=own_scripts("ru"), byte_fallback=True)
    return LanguageModel(out, "ru"), lines[900:]


def test_foreign_letters_become_byte_pieces(ru_model):
    lm, _ = ru_model
    assert lm.tokenize("iphone").split() == ["▁", "<0x69>", "<0x70>", "<0x68>", "<0x6F>", "<0x6E>", "<0x65>"]
    assert "<0xE4>" in lm.tokenize("中文")


def test_foreign_text_scores_above_every_clean_line(ru_model, shared_data):
    lm, held = ru_model
    clean = max(lm.document_perplexity(x) for x in held[:50])
    for lang in ("en", "zh", "th"):
        other = (shared_data / "sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:20]
        assert min(lm.document_perplexity(x) for x in other) > clean, lang
