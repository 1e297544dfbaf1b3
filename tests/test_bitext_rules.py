"""Pair rules on real FLORES-200 sentences: each rule its own reason, signals kept as columns."""

from __future__ import annotations

import pytest

from curation import schema
from curation.io.bitext_schema import from_rows
from filters import bitext_signals as sig
from filters.bitext_rules import BitextRulesStage, check_pair
from pipelines.parallel_config import BitextRulesConfig

CFG = BitextRulesConfig()


@pytest.fixture(scope="module")
def flores(shared_data) -> dict[str, list[str]]:
    names = {"en": "eng_Latn", "fr": "fra_Latn", "ru": "rus_Cyrl", "ja": "jpn_Jpan", "de": "deu_Latn",
             "th": "tha_Thai"}
    return {k: (shared_data / "flores200" / f"{v}.devtest").read_text(encoding="utf-8").splitlines()
            for k, v in names.items()}


def reason(src: str, tgt: str, sl: str = "en", tl: str = "fr") -> str | None:
    return check_pair(src, tgt, sl, tl, CFG).reason


def test_real_translations_pass_every_rule(flores):
    for tl in ("fr", "ru", "ja", "de", "th"):
        assert [reason(flores["en"][i], flores[tl][i], "en", tl) for i in (0, 4)] == [None, None], tl


def test_empty_side(flores):
    assert check_pair(flores["en"][4], "  ", "en", "fr", CFG).reason == "empty_side"


def test_too_long(flores):
    v = check_pair(flores["en"][4] * 6, flores["fr"][4] * 6, "en", "fr", CFG)
    assert (v.reason, v.detail) == ("too_long", f"{len(flores['fr'][4] * 6)} > 1000 characters")


def test_too_short():
    v = check_pair("Hi.", "Salut.", "en", "fr", BitextRulesConfig(min_chars=5))
    assert (v.reason, v.detail) == ("too_short", "3 < 5 characters")


def test_unsupported_language(flores):
    assert reason(flores["en"][4], flores["fr"][4], "en", "sw") == "language_unsupported"


def test_identical_sides_ignore_case_and_punctuation(flores):
    assert reason(flores["en"][4], flores["en"][4].upper().replace(",", "")) == "identical_sides"


def test_source_copied_into_target(flores):
    assert reason(flores["en"][4], flores["fr"][4] + " " + flores["en"][4]) == "source_copied"


def test_urls_and_template_literals(flores):
    assert reason(flores["en"][4] + " https://example.org/a", flores["fr"][4]) == "url"
    assert reason(flores["en"][4], "{{ title }} " + flores["fr"][4]) == "template_literal"
    assert reason(flores["en"][4], flores["fr"][4] + "&nbsp;") == "template_literal"


def test_special_symbol_ratio():
    v = check_pair("Home | News | Sport | Weather | Contact", "Accueil | Actualités | Sport | Météo | Contact",
                   "en", "fr", CFG)
    assert v.reason == "special_ratio"
    assert v.signals["special_ratio"] == pytest.approx(4 / 31)  # the English side: 4 pipes, 31 visible


def test_digit_ratio():
    assert reason("Call 0123 456 789 or 0987 654 321.", "Appelez le 0123 456 789 ou le 0987 654 321.") == \
        "digit_ratio"


def test_numbers_that_disagree(flores):
    v = check_pair(flores["en"][0], flores["fr"][0].replace("4", "5"), "en", "fr", CFG)
    assert (v.reason, v.detail) == ("digit_mismatch", "4 vs 5")


def test_numbers_that_agree_across_formats_and_scripts():
    assert not sig.numbers_disagree("It cost 1,000.50 dollars in 2019.", "Il a coûté 1\u202f000,50 dollars en 2019.")
    assert not sig.numbers_disagree("In 1956 he moved.", "ในปี พ.ศ. 2499 เขาย้าย", "en", "th")
    assert not sig.numbers_disagree("About 330,000 people.", "总计 33 万人。")
    assert not sig.numbers_disagree("Until September 16.", "9월 16일까지.")
    assert sig.numbers_disagree("Until September 16.", "9월 17일까지.")


def test_repeated_words():
    assert reason("buy now buy now buy now buy now cheap", "achetez achetez achetez achetez maintenant pas cher") == \
        "repeated_words"


def test_stop_word_ratio_of_the_source():
    v = check_pair("Cheap flights hotels cars cruises vacation packages deals online booking.",
                   "Vols pas chers hôtels voitures croisières forfaits vacances offres réservation en ligne.",
                   "en", "fr", CFG)
    assert (v.reason, v.signals["stopword_ratio"]) == ("stopword_ratio", 0.0)


def test_length_ratio(flores):
    v = check_pair(flores["en"][4], "Danius a déclaré : « Rien. »", "en", "fr", CFG)
    assert v.reason == "length_ratio"
    assert v.signals["length_ratio"] == pytest.approx(len(flores["en"][4]) / len("Danius a déclaré : « Rien. »"))


def test_cut_off_target_without_final_mark(flores):
    assert reason(flores["en"][4], flores["fr"][4][:120].rstrip()) == "punctuation_mismatch"


def test_cjk_length_is_measured_in_bytes(flores):
    assert sig.length_units("糖尿病", "ja") == 9
    assert sig.length_ratio(flores["en"][0], flores["ja"][0], "en", "ja") == pytest.approx(
        len(flores["ja"][0].encode()) / len(flores["en"][0]))


def test_script_consistency(flores):
    v = check_pair(flores["en"][4], flores["ru"][4], "en", "fr", CFG)
    assert (v.reason, v.signals["script_ratio"]) == ("script_mismatch", 0.0)


def test_language_id_of_each_side(flores):
    stage = BitextRulesStage(CFG)
    rows = [("en", "fr", flores["en"][4], flores["fr"][4]), ("en", "fr", flores["en"][4], flores["de"][4]),
            ("en", "fr", flores["fr"][4], flores["en"][4])]
    table = from_rows([{"id": str(i), "source": "t", "src_lang": s, "tgt_lang": t, "pair": f"{s}-{t}", "src": a,
                        "tgt": b, schema.UNIT_ID: "u", schema.RECORD_INDEX: i} for i, (s, t, a, b) in enumerate(rows)])
    out = stage(table).to_pylist()
    assert [r["reject_reason"] for r in out] == [None, "language_mismatch", "language_mismatch"]
    assert out[1]["reject_detail"].startswith("target is de (")
    assert out[2]["reject_detail"].startswith("source is fr (") and "; target is en (" in out[2]["reject_detail"]
    assert (out[0]["src_language"], out[0]["tgt_language"]) == ("en", "fr")
    assert out[0]["length_ratio"] == pytest.approx(len(flores["fr"][4]) / len(flores["en"][4]))


def test_rejected_rows_pass_through_untouched(flores):
    table = from_rows([{"id": "x", "source": "t", "src_lang": "en", "tgt_lang": "fr", "pair": "en-fr", "src": "",
                        "tgt": "", "reject_reason": "malformed_pair", "reject_detail": "line 3",
                        schema.UNIT_ID: "u", schema.RECORD_INDEX: 0}])
    out = BitextRulesStage(BitextRulesConfig(language_id=False))(table).to_pylist()[0]
    assert (out["reject_reason"], out["reject_detail"], out["length_ratio"]) == ("malformed_pair", "line 3", None)
