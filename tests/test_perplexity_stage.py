"""The perplexity stage: per-language models loaded on first use, null for languages without a
model (never a rejection), buckets and the perplexity_high filter from a thresholds file."""

from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from curation import schema
from curation.config import PerplexityConfig
from filters.lm_model import LanguageModel
from filters.lm_train import train_lm
from filters.perplexity import PerplexityStage


def batch(rows: list[tuple[str | None, str | None, str | None]]) -> pa.Table:
    """(text, language, earlier reject_reason) per row."""
    return schema.from_rows([{"id": str(i), "source": "t", "text": t, "language": lang, "reject_reason": r,
                              schema.UNIT_ID: "u", schema.RECORD_INDEX: i} for i, (t, lang, r) in enumerate(rows)])


@pytest.fixture(scope="module")
def en_only_models(tmp_path_factory, shared_data) -> Path:
    lines = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[:300]
    out = tmp_path_factory.mktemp("models")
    train_lm("en", lines, out, order=3, vocab_size=500, memory="64M")
    return out


def thresholds(tmp_path: Path, en: dict) -> Path:
    p = tmp_path / "thresholds.yaml"
    p.write_text(yaml.safe_dump({"perplexity": {"languages": {"en": en}}}), encoding="utf-8")
    return p


def test_language_without_model_passes_with_null_perplexity(en_only_models, tmp_path, shared_data):
    en = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[400]
    de = (shared_data / "sentences" / "de.txt").read_text(encoding="utf-8").splitlines()[0]
    cfg = PerplexityConfig(model_dir=str(en_only_models),
                           thresholds_path=str(thresholds(tmp_path, {"head": 1, "tail": 2, "cutoff": 1e9})))
    stage = PerplexityStage(cfg)
    out = stage(batch([(en, "en", None), (de, "de", None), (en, None, None)]))
    ppl = out.column("perplexity").to_pylist()
    assert ppl[0] == LanguageModel(en_only_models, "en").document_perplexity(en)
    assert ppl[1] is None and ppl[2] is None
    assert out.column("reject_reason").to_pylist() == [None, None, None]
    assert out.column("perplexity_bucket").to_pylist() == ["tail", None, None]
    assert stage.loaded_languages() == ["en"]


def test_rows_rejected_earlier_are_untouched(en_only_models, tmp_path, shared_data):
    en = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[400]
    cfg = PerplexityConfig(model_dir=str(en_only_models),
                           thresholds_path=str(thresholds(tmp_path, {"head": 1, "tail": 2, "cutoff": 3})))
    out = PerplexityStage(cfg)(batch([(en, "en", "language_low_confidence")]))
    assert out.column("perplexity").to_pylist() == [None]
    assert out.column("reject_reason").to_pylist() == ["language_low_confidence"]


def test_above_cutoff_is_rejected_with_perplexity_high_and_keeps_its_value(en_only_models, tmp_path, shared_data):
    lines = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()
    lm = LanguageModel(en_only_models, "en")
    clean, junk = lines[10], "zq xv kkj qqq wpt zzv jjx qpq"
    p_clean, p_junk = lm.document_perplexity(clean), lm.document_perplexity(junk)
    assert p_clean < p_junk
    edges = {"head": p_clean - 1, "tail": p_clean + 1, "cutoff": (p_clean + p_junk) / 2}
    out = PerplexityStage(PerplexityConfig(model_dir=str(en_only_models),
                                           thresholds_path=str(thresholds(tmp_path, edges))))(
        batch([(clean, "en", None), (junk, "en", None)]))
    assert out.column("reject_reason").to_pylist() == [None, "perplexity_high"]
    assert out.column("perplexity").to_pylist() == [p_clean, p_junk]
    assert out.column("perplexity_bucket").to_pylist() == ["middle", "tail"]
    assert "cutoff" in out.column("reject_detail").to_pylist()[1]


def test_filter_off_only_annotates(en_only_models, tmp_path):
    edges = {"head": 1, "tail": 2, "cutoff": 3}
    out = PerplexityStage(PerplexityConfig(model_dir=str(en_only_models), filter=False,
                                           thresholds_path=str(thresholds(tmp_path, edges))))(
        batch([("zq xv kkj qqq", "en", None)]))
    assert out.column("reject_reason").to_pylist() == [None]
    assert out.column("perplexity").to_pylist()[0] > 3


def test_empty_model_dir_scores_nothing_and_rejects_nothing(tmp_path):
    out = PerplexityStage(PerplexityConfig(model_dir=str(tmp_path)))(batch([("Some text.", "en", None)]))
    assert out.column("perplexity").to_pylist() == [None]
    assert out.column("reject_reason").to_pylist() == [None]


def test_stage_pickles_without_its_models(en_only_models, tmp_path):
    import pickle

    stage = PerplexityStage(PerplexityConfig(model_dir=str(en_only_models)))
    stage(batch([("Hello world.", "en", None)]))
    clone = pickle.loads(pickle.dumps(stage))
    assert clone.loaded_languages() == []
    assert clone(batch([("Hello world.", "en", None)])).column("perplexity").to_pylist()[0] > 0
