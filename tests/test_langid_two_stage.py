"""Two-stage language ID: label mapping, normalisation, the confusion-group second stage."""

import subprocess
import sys

import pytest

from curation import schema
from curation.assets import asset_dir
from curation.config import ExtractConfig, LangIdConfig, ReadConfig
from curation.io.warc import iter_rows
from filters import langid_train
from filters.langid import LangIdStage, LanguageIdentifier
from filters.langid_labels import label_to_code
from tests.conftest import REPO

# Held-out NTREX documents (never trained on) that plain lid.176 gets wrong.
MALAY = ("Jumlah kematian akibat gempa bumi dan tsunami di Indonesia meningkat kepada 832, kata agensi "
         "bencana negara itu pada awal pagi Ahad.")
NEPALI = "घटना लगभग 19:30 BST मा बिहीबार ब्यालिनगर्ड क्रिसेन्टमा प्रकट गरियो।"


@pytest.fixture(scope="module")
def ours() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.fixture(scope="module")
def plain() -> LanguageIdentifier:
    return LanguageIdentifier(second_stage=False)


@pytest.mark.parametrize("label, code", [
    ("__label__ms", "ms"), ("__label__zsm_Latn", "ms"), ("__label__npi_Deva", "ne"), ("__label__azj_Latn", "az"),
    ("__label__cmn_Hani", "zh"), ("__label__arb_Arab", "ar"), ("__label__ekk_Latn", "ekk"), ("__label__pnb", "pnb"),
    ("__label__iw", "he"), ("zho_Hans", "zh"), ("__label__eng-US", "en"),
])
def test_fasttext_labels_map_to_iso639_1(label, code):
    assert label_to_code(label) == code


def test_empty_label_is_an_error():
    with pytest.raises(ValueError, match="not a language label"):
        label_to_code("__label__")


def test_newlines_do_not_change_the_prediction(ours):
    text = "Das ist ein Satz.\nUnd hier\r\nkommt der zweite\tSatz."
    assert ours.predict(text) == ours.predict("Das ist ein Satz. Und hier kommt der zweite Satz.")


def test_second_stage_resolves_malay_that_lid176_calls_indonesian(ours, plain):
    assert plain.predict(MALAY).language == "id"
    p = ours.predict(MALAY)
    assert (p.language, p.second_stage) == ("ms", True)
    assert p.score > 0.9


def test_second_stage_resolves_nepali_that_lid176_calls_hindi(ours, plain):
    assert plain.predict(NEPALI).language == "hi"
    assert ours.predict(NEPALI).language == "ne"


def test_languages_outside_the_groups_keep_the_first_stage_answer(ours, plain, shared_data):
    line = (shared_data / "sentences" / "de.txt").read_text(encoding="utf-8").splitlines()[0]
    assert ours.predict(line) == plain.predict(line)
    assert ours.predict(line).second_stage is False


def test_blank_or_missing_text_is_undetermined(ours):
    assert [p.language for p in ours.predict_many([None, "  \n ", "Bonjour tout le monde, comment allez-vous ?"])] \
        == ["und", "und", "fr"]


def test_per_language_min_score_overrides_the_default():
    cfg = LangIdConfig(min_score=0.5, min_scores={"ms": 0.99})
    rows = [{"id": str(i), "source": "t", "text": t, "_unit_id": "u", "_record_index": i}
            for i, t in enumerate([MALAY, NEPALI])]
    out = LangIdStage(cfg)(schema.from_rows(rows))
    assert out.column("reject_reason").to_pylist() == ["language_low_confidence", None]
    assert out.column("reject_detail").to_pylist()[0].startswith("ms 0.9")


def test_missing_second_stage_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="second-stage language-ID model not found"):
        LanguageIdentifier(second_stage_path=str(tmp_path / "nope.ftz"))


def test_heldout_ntrex_documents_never_reach_training(shared_data):
    for lang in ("ms", "ne"):
        train = set(langid_train.training_sentences(shared_data, lang)["ntrex"])
        held = langid_train.heldout_sentences(shared_data, lang)
        assert held and not train & set(held)


def test_udhr_pages_of_the_29_languages_get_the_right_language(ours, warc_dir):
    import trafilatura

    from filters.extract import trafilatura_options

    opts = trafilatura_options(ExtractConfig())
    right, total = 0, 0
    for row in iter_rows(str(warc_dir / "pages-udhr.warc.gz"), "udhr", ReadConfig()):
        stem = row["url"].rsplit("/", 1)[-1].removesuffix(".html").split("_")
        want = "ms" if stem[0] == "mly" else label_to_code(stem[0])
        if want not in LangIdConfig().languages or stem[1:2] in (["cyrl"], ["arab"], ["han"]):
            continue
        total += 1
        right += ours.predict(trafilatura.extract(row["_html"], **opts) or "").language == want
    assert total == 43
    assert right / total >= 0.95


def test_training_module_builds_a_model_that_fasttext_predict_loads(tmp_path, shared_data):
    trainer = asset_dir("langid") / "_trainer"
    if not (trainer / "fasttext").is_dir():
        pytest.fail(f"fasttext-numpy2-wheel not installed at {trainer}: run scripts/setup.d/30-langid.sh")
    out = tmp_path / "tiny.bin"
    code = ("import sys; from pathlib import Path; from filters import langid_train as T; "
            "T.train(Path(sys.argv[1]), Path(sys.argv[2]), per_language=300, "
            "params=dict(T.PARAMS, epoch=5, dim=16, bucket=20000), quantize=False)")
    subprocess.run([sys.executable, "-c", code, str(shared_data), str(out)], check=True,
                   env={"PYTHONPATH": str(trainer), "PATH": "/usr/bin:/bin"}, cwd=REPO)
    tiny = LanguageIdentifier(second_stage_path=str(out))
    assert tiny.predict(NEPALI).language == "ne"
