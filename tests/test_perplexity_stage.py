"""The perplexity stage: per-language models loaded on first use, null for languages without a
model (never a rejection), buckets and the perplexity_high filter from a thresholds file: by
default the one beside the models, refused when it records another recipe than theirs."""

import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from curation import schema
from curation.config import PerplexityConfig
from filters.lm_model import LanguageModel
from filters.lm_train import train_lm
from filters.perplexity import PerplexityStage
from filters.perplexity_calibration import (
    MODEL_THRESHOLDS,
    bucket,
    default_thresholds_path,
    load_thresholds,
    thresholds_for_models,
    thresholds_recipe,
)


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


def model_set(src: Path, dest: Path, recipe: str | None, beside: dict | None = None,
              beside_recipe: str | None = None) -> Path:
    """A copy of ``src``'s models with a manifest recording ``recipe`` (None: no manifest, like
    CCNet's files) and, given ``beside``, English thresholds beside them stamped ``beside_recipe``."""
    import shutil

    shutil.copytree(src, dest)
    if recipe is not None:
        (dest / "manifest.json").write_text(json.dumps({"recipe": recipe}), encoding="utf-8")
    if beside is not None:
        body = ({"recipe": beside_recipe} if beside_recipe else {}) | {"languages": {"en": beside}}
        (dest / MODEL_THRESHOLDS).write_text(yaml.safe_dump(body), encoding="utf-8")
    return dest


def junk_and_clean(models: Path, shared_data: Path) -> tuple[str, str, dict]:
    """A clean line, a junk one and edges that put them in middle/tail and reject the junk."""
    clean = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[10]
    junk = "zq xv kkj qqq wpt zzv jjx qpq"
    lm = LanguageModel(models, "en")
    p_clean, p_junk = lm.document_perplexity(clean), lm.document_perplexity(junk)
    return clean, junk, {"head": p_clean - 1, "tail": p_clean + 1, "cutoff": (p_clean + p_junk) / 2}


def test_the_thresholds_beside_the_models_are_the_default(en_only_models, tmp_path, shared_data):
    clean, junk, edges = junk_and_clean(en_only_models, shared_data)
    d = model_set(en_only_models, tmp_path / "set", "abc", edges, "abc")
    out = PerplexityStage(PerplexityConfig(model_dir=str(d)))(batch([(clean, "en", None), (junk, "en", None)]))
    assert out.column("perplexity_bucket").to_pylist() == ["middle", "tail"]
    assert out.column("reject_reason").to_pylist() == [None, "perplexity_high"]


def test_thresholds_of_another_recipe_are_refused_naming_both(en_only_models, tmp_path, shared_data):
    _, _, edges = junk_and_clean(en_only_models, shared_data)
    d = model_set(en_only_models, tmp_path / "set", "abc", edges, "old")
    with pytest.raises(ValueError) as err:
        PerplexityStage(PerplexityConfig(model_dir=str(d)))(batch([("Hello world.", "en", None)]))
    msg = str(err.value)
    assert "\n" not in msg and "recipe old" in msg and "recipe abc" in msg
    assert "python -m filters.lm_default_models" in msg and "perplexity.thresholds_path" in msg


def test_a_given_thresholds_file_of_another_recipe_is_refused_too(en_only_models, tmp_path):
    d = model_set(en_only_models, tmp_path / "set", "abc")
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump({"recipe": "old", "languages": {"en": {"head": 1, "tail": 2, "cutoff": 3}}}),
                 encoding="utf-8")
    with pytest.raises(ValueError, match="are for model recipe old, the models in .* are recipe abc"):
        PerplexityStage(PerplexityConfig(model_dir=str(d), thresholds_path=str(p)))(batch([("Hi.", "en", None)]))


def test_models_without_thresholds_score_but_neither_bucket_nor_reject(en_only_models, tmp_path, shared_data, caplog):
    # Like CCNet's published models: no manifest, no thresholds. The committed defaults (which have
    # English) were applied to such models before; they are for the default models' recipe only.
    clean, junk, _ = junk_and_clean(en_only_models, shared_data)
    d = model_set(en_only_models, tmp_path / "ccnet", None)
    with caplog.at_level("WARNING", logger="filters.perplexity"):
        for _ in range(2):
            out = PerplexityStage(PerplexityConfig(model_dir=str(d)))(batch([(clean, "en", None), (junk, "en", None)]))
    lm = LanguageModel(d, "en")
    assert out.column("perplexity").to_pylist() == [lm.document_perplexity(clean), lm.document_perplexity(junk)]
    assert out.column("perplexity_bucket").to_pylist() == [None, None]
    assert out.column("reject_reason").to_pylist() == [None, None]
    assert [r.getMessage() for r in caplog.records] == [
        f"no perplexity thresholds for the models in {d.resolve()} (perplexity.thresholds_path is null): "
        "perplexity is scored, no bucket and no rejection"]


def test_a_set_of_the_committed_recipe_without_thresholds_beside_uses_the_committed_record(en_only_models, tmp_path):
    # Sets built before the build wrote thresholds beside the models: the committed record was
    # computed for exactly their recipe.
    committed = thresholds_recipe(default_thresholds_path())
    d = model_set(en_only_models, tmp_path / "set", committed)
    assert committed is not None and thresholds_for_models(d) == default_thresholds_path()
    edges = load_thresholds(default_thresholds_path())["en"]
    texts = ["Hello world.", "zq xv kkj qqq wpt zzv jjx qpq"]
    out = PerplexityStage(PerplexityConfig(model_dir=str(d)))(batch([(x, "en", None) for x in texts]))
    ppl = out.column("perplexity").to_pylist()
    assert out.column("perplexity_bucket").to_pylist() == [bucket(x, edges) for x in ppl]
    assert out.column("reject_reason").to_pylist() == ["perplexity_high" if x > edges["cutoff"] else None for x in ppl]
