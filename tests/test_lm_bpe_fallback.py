"""The default build's tokenizer rule: CCNet's SentencePiece unigram, and BPE candidates only for a
language whose best unigram candidate has not shown ``BPE_FALLBACK_BELOW`` validation AUC with 95%
confidence."""

import json
from pathlib import Path

import pytest
from sentencepiece import sentencepiece_model_pb2 as pb

from filters.lm_corrupt import auc_standard_error
from filters.lm_default_models import (
    BPE_FALLBACK_BELOW,
    BPE_FALLBACK_Z,
    Candidate,
    candidates,
    needs_bpe_fallback,
    select_vocab,
    split_holdout,
    validation_lower_bound,
)
from filters.lm_model import LanguageModel
from filters.perplexity import default_model_dir


def sp_model_type(path: Path) -> str:
    proto = pb.ModelProto()
    proto.ParseFromString(path.read_bytes())
    return pb.TrainerSpec.ModelType.Name(proto.trainer_spec.model_type).lower()


@pytest.fixture(scope="module")
def german(shared_data: Path) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """600 German sentences split like the build (every 10th held out), French held-out lines as the
    other-language negatives."""
    de = (shared_data / "sentences" / "de.txt").read_text(encoding="utf-8").splitlines()[:600]
    fr = (shared_data / "sentences" / "fr.txt").read_text(encoding="utf-8").splitlines()[:600]
    train, held = split_holdout(de)
    return train, held, {"de": held, "fr": split_holdout(fr)[1]}


def test_the_fallback_applies_only_when_every_unigram_candidate_is_below_the_target():
    assert BPE_FALLBACK_BELOW == 0.95
    assert needs_bpe_fallback({"500/ccnet": 0.9305, "1000/ccnet": 0.9499})
    assert not needs_bpe_fallback({"500/ccnet": 0.9305, "1000/ccnet": 0.95})
    assert not needs_bpe_fallback({"500/ccnet": 0.97}, below=0.96)


def test_the_auc_standard_error_matches_hanley_and_mcneil_by_hand():
    # A = 0.95, 400 clean, 1600 corrupted: Q1 = 0.95/1.05, Q2 = 2*0.9025/1.95, Hanley & McNeil's formula.
    q1, q2 = 0.95 / 1.05, 1.805 / 1.95
    var = (0.95 * 0.05 + 1599 * (q1 - 0.9025) + 399 * (q2 - 0.9025)) / (400 * 1600)
    assert auc_standard_error(0.95, 400, 1600) == pytest.approx(var ** 0.5, rel=1e-12)
    assert auc_standard_error(0.95, 400, 1600) == pytest.approx(0.004489, abs=1e-6)
    assert auc_standard_error(1.0, 400, 1600) == 0.0


def test_with_the_validation_size_the_target_must_be_met_with_95_percent_confidence():
    assert BPE_FALLBACK_Z == 1.645
    # 400 clean lines (4 corrupted copies each): the lower bound of 0.9541 is 0.9471, of 0.9568 0.95003.
    assert validation_lower_bound(0.9541, 400) == pytest.approx(0.9541 - 1.645 * auc_standard_error(0.9541, 400, 1600))
    assert needs_bpe_fallback({"500/ccnet": 0.9541}, n_clean=400)
    assert not needs_bpe_fallback({"500/ccnet": 0.9568}, n_clean=400)
    assert not needs_bpe_fallback({"500/ccnet": 0.9541})  # the point estimate alone passes
    # fewer clean lines, wider bound: 0.9568 over 100 lines is not enough
    assert needs_bpe_fallback({"500/ccnet": 0.9568}, n_clean=100)


def test_bpe_candidates_mirror_the_unigram_ones():
    uni, bpe = candidates("kk"), candidates("kk", "bpe")
    assert [c.key + "/bpe" for c in uni] == [c.key for c in bpe]
    assert bpe[0] == Candidate(500, "ccnet", 1.0, "bpe") and bpe[0].key == "500/ccnet/bpe"
    assert [c.key for c in candidates("ko", "bpe", (500,))] == ["500/ccnet/bpe", "500/ccnet/0.99/bpe",
                                                                "500/ccnet/0.98/bpe"]


def test_a_language_that_validates_at_the_target_tries_unigram_only(tmp_path, german):
    train, held, held_all = german
    res, cand, _, auc, tried = select_vocab("de", train, held, held_all, tmp_path, "100M", bpe_below=0.0,
                                            vocabs=(200, 400))
    assert list(tried) == ["200/ccnet", "400/ccnet"]
    assert cand.sp_type == "unigram" and auc == max(tried.values())
    assert sp_model_type(res.sp_path) == "unigram"


def test_a_language_below_the_target_also_tries_bpe_and_keeps_the_best_of_all(tmp_path, german):
    train, held, held_all = german
    res, cand, _, auc, tried = select_vocab("de", train, held, held_all, tmp_path, "100M", bpe_below=1.01,
                                            vocabs=(200, 400))
    assert list(tried) == ["200/ccnet", "400/ccnet", "200/ccnet/bpe", "400/ccnet/bpe"]
    assert auc == max(tried.values()) == tried[cand.key]
    assert sp_model_type(res.sp_path) == cand.sp_type
    lm = LanguageModel(tmp_path, "de", "read")  # either kind of .sp.model loads the same way
    assert lm.document_perplexity(held[0]) is not None


def test_the_default_models_record_their_tokenizer_and_use_bpe_only_by_the_rule():
    d = default_model_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for lang, entry in manifest["languages"].items():
        tried = entry["validation_auc_per_candidate"]
        unigram = {k: v for k, v in tried.items() if not k.endswith("/bpe")}
        bpe_tried = [k for k in tried if k.endswith("/bpe")]
        assert bool(bpe_tried) == needs_bpe_fallback(unigram, n_clean=entry["validation_clean_lines"]), lang
        if not bpe_tried:
            assert entry["sp_model_type"] == "unigram", lang
        elif entry["sp_model_type"] == "bpe":
            assert entry["validation_auc"] == max(tried[k] for k in bpe_tried) >= max(unigram.values()), lang
        assert sp_model_type(d / f"{lang}.sp.model") == entry["sp_model_type"], lang
