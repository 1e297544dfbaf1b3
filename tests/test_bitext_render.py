"""Rendering: Marco's Table 13 strings, seeded choices, LLaMAX connected format, code-switching, replication."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from curation import schema
from curation.io.bitext_schema import from_rows
from filters.bitext_augment import LexiconError, code_switch, load_lexicon
from filters.bitext_render import RenderStage, choose_flip, choose_template, render_llamax, render_marco
from filters.language_names import LANGUAGE_NAMES, language_name
from pipelines.parallel_config import AugmentConfig, RenderConfig
from pipelines.parallel_train import entries, replicate, replication_factor

SRC, TGT = "The cat sleeps.", "Die Katze schläft."

TABLE_13 = {
    "A": "English phrase: The cat sleeps.\nGerman phrase: Die Katze schläft.",
    "B": "English text: The cat sleeps.\nGerman text: Die Katze schläft.",
    "C": "Translate the text from English to German:\nEnglish text: The cat sleeps.\nGerman text: Die Katze schläft.",
    "D": "Translate the words from English to German:\nEnglish words: The cat sleeps.\n"
         "German words: Die Katze schläft.",
    "E": "Convert the phrase from English to German:\nEnglish phrase: The cat sleeps.\n"
         "German phrase: Die Katze schläft.",
    "F": "Render the English sentence The cat sleeps. to German: Die Katze schläft.",
    "G": "Provide the translation of the sentence The cat sleeps. from English to German: Die Katze schläft.",
    "H": "Change the phrase The cat sleeps. to German, the translated phrase is: Die Katze schläft.",
    "I": "Please change the sentence The cat sleeps. to German, and the resulting translation is: Die Katze schläft.",
    "J": "Change the phrase The cat sleeps. to German, resulting in: Die Katze schläft.",
    "K": "The sentence The cat sleeps. in English means Die Katze schläft. in German",
}


@pytest.mark.parametrize("template", sorted(TABLE_13))
def test_marco_templates_reproduce_table_13(template):
    assert render_marco(template, SRC, TGT, "en", "de") == TABLE_13[template]


def test_placeholders_inside_the_texts_are_not_replaced_again():
    assert render_marco("B", "<output>", "<src_lang>", "fr", "es") == "French text: <output>\nSpanish text: <src_lang>"


def test_every_target_language_has_a_name():
    from curation.config import TARGET_LANGUAGES

    assert sorted(LANGUAGE_NAMES) == sorted(TARGET_LANGUAGES)
    assert [language_name(c) for c in ("zsm_Latn", "npi", "cmn_Hans", "az")] == ["Malay", "Nepali", "Chinese",
                                                                              "Azerbaijani"]


def test_template_choice_is_seeded_per_pair_and_uses_all_templates():
    ids = [f"pair-{i}" for i in range(2000)]
    first = [choose_template(i, 0, list("ABCDEFGHIJK")) for i in ids]
    assert first == [choose_template(i, 0, list("ABCDEFGHIJK")) for i in ids]
    assert first != [choose_template(i, 1, list("ABCDEFGHIJK")) for i in ids]
    counts = Counter(first)
    assert set(counts) == set("ABCDEFGHIJK") and min(counts.values()) > 2000 / 11 * 0.75


def test_llamax_connected_format_flips_about_half_the_pairs():
    assert render_llamax(SRC, TGT, flip=False) == "The cat sleeps. Die Katze schläft."
    assert render_llamax(SRC, TGT, flip=True) == "Die Katze schläft. The cat sleeps."
    flips = sum(choose_flip(f"p{i}", 0, 0.5) for i in range(4000))
    assert 1900 <= flips <= 2100


def pair_table(pairs: list[tuple[str, str, str, str]], reasons=None):
    reasons = reasons or [None] * len(pairs)
    return from_rows([{"id": f"id{i}", "source": "t", "src_lang": s, "tgt_lang": t, "pair": f"{s}-{t}", "src": a,
                       "tgt": b, "reject_reason": r, schema.UNIT_ID: "u", schema.RECORD_INDEX: i}
                      for i, ((s, t, a, b), r) in enumerate(zip(pairs, reasons))])


def test_render_stage_fills_text_for_active_pairs_only():
    stage = RenderStage(RenderConfig(format="marco", templates=["K"]))
    out = stage(pair_table([("en", "de", SRC, TGT), ("en", "de", "x", "y")], [None, "url"])).to_pylist()
    assert out[0]["text"] == TABLE_13["K"] and out[0]["template"] == "K"
    assert out[1]["text"] is None and out[1]["template"] is None and out[1]["reject_reason"] == "url"


LEXICON = "the\tdie\ncat\tKatze\ncat\tKater\nsleeps\tschläft\n"


def test_lexicon_reads_muse_format_and_keeps_every_translation(tmp_path):
    path = tmp_path / "en-de.txt"
    path.write_text(LEXICON, encoding="utf-8")
    assert load_lexicon(path) == {"the": ["die"], "cat": ["Katze", "Kater"], "sleeps": ["schläft"]}


def test_a_malformed_lexicon_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the\tdie\njust-one-column\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.txt:2: expected 'word<TAB>translation'"):
        load_lexicon(path)


def test_code_switch_replaces_every_known_word_at_ratio_one():
    lexicon = {"the": ["die"], "cat": ["Katze"], "sleeps": ["schläft"]}
    assert code_switch("The cat sleeps on the mat.", "en", "de", lexicon, 1.0, 0, "k") == \
        "die Katze schläft on die mat."
    assert code_switch("The cat sleeps.", "en", "de", lexicon, 0.0, 0, "k") == "the cat sleeps."


def test_code_switch_is_seeded_per_pair():
    lexicon = {w: [w.upper()] for w in "a b c d e f g h i j".split()}
    text = "a b c d e f g h i j"
    # blake2b(seed, pair id, position) decides each word: the same pair always gets the same text
    assert code_switch(text, "en", "de", lexicon, 0.5, 0, "pair-1") == "A b C D E F G h i j"
    assert code_switch(text, "en", "de", lexicon, 0.5, 0, "pair-2") != "A b C D E F G h i j"


def test_code_switch_segments_chinese_and_spaces_inserted_words():
    lexicon = {"猫": ["cat"], "睡觉": ["sleeps"]}
    assert code_switch("猫在睡觉。", "zh", "en", lexicon, 1.0, 0, "k") == "cat 在 sleeps 。"


def test_render_stage_adds_augmented_text_from_the_lexicon(tmp_path):
    path = tmp_path / "en-de.txt"
    path.write_text("cat\tKatze\n", encoding="utf-8")
    cfg = RenderConfig(format="llamax", flip_probability=0.0, augment=AugmentConfig(lexicon_path=str(path),
                                                                                    replace_ratio=1.0))
    out = RenderStage(cfg)(pair_table([("en", "de", SRC, TGT)])).to_pylist()[0]
    assert out["text"] == "The cat sleeps. Die Katze schläft."
    assert out["augmented_text"] == "the Katze sleeps. Die Katze schläft."
    assert out["template"] == "connected"


def test_replication_applies_below_the_threshold_only():
    assert replication_factor(24_999, 25_000, 3) == 3
    assert replication_factor(25_000, 25_000, 3) == 1


def test_replicated_entries_are_numbered_copies_with_augmented_rows():
    kept = pa.table({"id": ["a", "b"], "pair": ["en-de", "en-de"], "text": ["t1", "t2"],
                     "augmented_text": ["x1", None]})
    got = replicate(entries(kept), 3).to_pylist()
    one = [("a", "pair", "t1"), ("b", "pair", "t2"), ("a", "augmented", "x1")]
    assert [(r["id"], r["kind"], r["text"], r["replica"]) for r in got] == \
        [(i, k, t, rep) for rep in range(3) for (i, k, t) in one]
