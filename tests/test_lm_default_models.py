"""The default models set-up builds: 29 languages, a manifest of their training text, no FLORES."""

import json

import pytest

from curation.config import TARGET_LANGUAGES
from filters.lm_default_models import SOURCES, sha256_file, training_sources
from filters.lm_model import available_languages
from filters.perplexity import default_model_dir


def test_sources_cover_the_29_languages_and_never_read_flores(shared_data):
    assert set(SOURCES) == set(TARGET_LANGUAGES)
    for lang in TARGET_LANGUAGES:
        srcs = training_sources(lang, shared_data)
        assert srcs and all("flores" not in str(s.path) for s in srcs)
        assert all(s.lines for s in srcs)


def test_setup_built_all_29_models_with_a_manifest(shared_data):
    d = default_model_dir()
    if not (d / "manifest.json").is_file():
        pytest.fail(f"default KenLM models missing in {d}: run scripts/setup.sh")
    assert available_languages(d) == sorted(TARGET_LANGUAGES)
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["languages"]) == set(TARGET_LANGUAGES)
    de = manifest["languages"]["de"]
    first = de["files"][0]
    assert first["path"] == "ntrex128/newstest2019-ref.deu.txt"
    assert first["sha256"] == sha256_file(shared_data / first["path"])
    assert de["train_lines"] > 10_000


def test_default_models_learn_only_their_own_script(shared_data):
    d = default_model_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["languages"]["th"]["scripts"] == ["THAI"] and manifest["languages"]["th"]["byte_fallback"]
    from filters.lm_model import LanguageModel

    th = LanguageModel(d, "th", "read")
    assert th.tokenize("cookie").split() == ["▁", "<0x63>", "<0x6F>", "<0x6F>", "<0x6B>", "<0x69>", "<0x65>"]
    english = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[:20]
    thai = (shared_data / "ntrex128" / "newstest2019-ref.tha.txt").read_text(encoding="utf-8").splitlines()[:20]
    assert min(th.document_perplexity(x) for x in english) > max(th.document_perplexity(x) for x in thai)


def test_extra_reference_text_is_training_only_and_listed_in_the_manifest():
    from curation.assets import asset_dir
    from filters.lm_reference_text import load_manifest

    text = load_manifest(asset_dir("kenlm-text")).get("languages", {})
    if "ru" not in text:
        pytest.fail("extra KenLM text missing: run scripts/setup.sh (scripts/setup.d/20-kenlm-text.sh)")
    manifest = json.loads((default_model_dir() / "manifest.json").read_text(encoding="utf-8"))
    extra = manifest["languages"]["ru"]["files"][-1]
    assert extra["path"] == "kenlm-text/ru.txt" and extra["sha256"] == text["ru"]["sha256"]
    assert extra["train_lines"] == extra["lines_used"] == text["ru"]["lines"] and extra["heldout_lines"] == 0
    assert [p["package"] for p in extra["packages"]] == ["manpages-ru", "gnome-user-docs", "fortunes-ru"]
    assert all(not f["path"].startswith("kenlm-text/") for f in manifest["languages"]["de"]["files"])


def test_malay_also_trains_on_indonesian_shared_text_never_held_out():
    manifest = json.loads((default_model_dir() / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["languages"]["ms"]["files"]
    own = [f for f in files if "sister_language" not in f]
    sister = [f for f in files if f.get("sister_language") == "id"]
    assert [f["path"] for f in own] == ["ntrex128/newstest2019-ref.msa.txt", "sentences/ms.txt",
                                        "tatoeba/eng-zsm_Latn/tatoeba-test-v2021-08-07.zsm_Latn"]
    assert [f["path"] for f in sister] == ["ntrex128/newstest2019-ref.ind.txt", "sentences/id.txt",
                                           "tatoeba/eng-ind/tatoeba-test-v2021-08-07.ind"]
    assert all(f["heldout_lines"] == 0 and f["train_lines"] == f["lines_used"] for f in sister)
    # NTREX is line-aligned across languages: only the lines whose Malay side is training text
    assert sister[0]["lines_used"] == 1997 - 1997 // 10
    assert manifest["languages"]["ms"]["train_lines"] == sum(f["lines_used"] for f in files)
    assert not any("sister_language" in f for x in TARGET_LANGUAGES if x != "ms"
                   for f in manifest["languages"][x]["files"])


def test_candidates_cross_vocabulary_with_normalisation_and_coverage_only_where_declared():
    from filters.lm_default_models import VOCAB_CANDIDATES, Candidate, candidates

    assert candidates("de") == [Candidate(v) for v in VOCAB_CANDIDATES]
    assert [c.key for c in candidates("th")] == [f"{v}/{m}" for m in ("ccnet", "keep_marks") for v in VOCAB_CANDIDATES]
    assert [c.key for c in candidates("zh")][-1] == "8000/ccnet/0.98"
    assert len(candidates("zh")) == 2 * len(VOCAB_CANDIDATES)
    assert all(c.normalization == "ccnet" for c in candidates("ko"))  # SentencePiece's NFKC recomposes jamo
    # 1.0 left out for the large alphabets on recipe 10's validation AUCs (COVERAGE_CANDIDATES)
    assert {c.coverage for c in candidates("ko")} == {c.coverage for c in candidates("ja")} == {0.99, 0.98}
    assert {c.coverage for c in candidates("ne")} == {1.0}


def test_every_model_is_the_best_validation_candidate_and_records_its_normalisation():
    from filters.lm_default_models import MARKS_CANDIDATES
    from filters.lm_model import model_normalization, normalization_path

    d = default_model_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for lang, entry in manifest["languages"].items():
        tried = entry["validation_auc_per_candidate"]
        assert entry["validation_auc"] == max(tried.values()), lang
        assert model_normalization(d, lang) == entry["normalization"], lang
        if lang not in MARKS_CANDIDATES:
            assert entry["normalization"] == "ccnet" and not normalization_path(d, lang).exists(), lang
        else:
            assert {k.split("/")[1] for k in tried} == {"ccnet", "keep_marks"}, lang


def test_the_committed_thresholds_are_what_the_built_recipe_computes():
    """The committed record (filters/assets/perplexity_thresholds.yaml) against the set set-up built:
    when both record the same recipe, the same numbers (else regenerate it with --thresholds)."""
    import yaml

    from filters.lm_default_models import HELDOUT_PPL, REFERENCE_K
    from filters.perplexity_calibration import (
        MODEL_THRESHOLDS,
        calibrate_perplexity,
        default_thresholds_path,
        thresholds_recipe,
    )

    d = default_model_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    committed = yaml.safe_load(default_thresholds_path().read_text(encoding="utf-8"))
    if committed.get("recipe") != manifest["recipe"]:
        pytest.skip(f"committed thresholds are for recipe {committed.get('recipe')}, the built models "
                    f"{manifest['recipe']} (another recipe or Debian text): nothing to compare")
    held = json.loads((d / HELDOUT_PPL).read_text(encoding="utf-8"))
    assert committed == {"recipe": manifest["recipe"]} | calibrate_perplexity(held, k=REFERENCE_K)
    if (d / MODEL_THRESHOLDS).is_file():  # sets built since the build writes them
        assert thresholds_recipe(d / MODEL_THRESHOLDS) == manifest["recipe"]
        assert yaml.safe_load((d / MODEL_THRESHOLDS).read_text(encoding="utf-8")) == committed
