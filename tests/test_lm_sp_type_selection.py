"""The default build's SentencePiece model type: a hyperparameter chosen by validation AUC like the
vocabulary size: every candidate is trained with unigram (CCNet's) and with BPE, the best wins."""

import json
from pathlib import Path

import pytest
from sentencepiece import sentencepiece_model_pb2 as pb

from filters.lm_corrupt import auc_standard_error
from filters.lm_default_models import (
    SP_TYPES,
    VOCAB_CANDIDATES,
    Candidate,
    better,
    candidates,
    select_vocab,
    split_holdout,
    validation_se,
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


def test_both_types_are_candidates_for_every_language_unigram_first():
    assert SP_TYPES == ("unigram", "bpe")
    uni, bpe = candidates("kk"), candidates("kk", "bpe")
    assert [c.key + "/bpe" for c in uni] == [c.key for c in bpe]
    assert bpe[0] == Candidate(100, "ccnet", 1.0, "bpe") and bpe[0].key == "100/ccnet/bpe"
    assert [c.key for c in candidates("de", "bpe")] == [f"{v}/ccnet/bpe" for v in VOCAB_CANDIDATES]
    assert [c.key for c in candidates("ko", "bpe", (500,))] == ["500/ccnet/0.99/bpe", "500/ccnet/0.98/bpe"]


def test_the_higher_validation_auc_wins_whatever_the_type():
    assert better(0.9689, 0.30, (0.9625, 0.25))  # a BPE candidate above the best unigram one
    assert not better(0.9600, 0.20, (0.9625, 0.25))  # a lower AUC loses even with the lower loss
    assert better(0.95, 9.0, None)  # the first candidate always takes the place


def test_an_auc_tie_goes_to_the_lower_loss_and_an_exact_tie_to_the_earlier_unigram():
    assert better(0.9305, 0.24, (0.9305, 0.25))
    assert not better(0.9305, 0.26, (0.9305, 0.25))
    assert not better(0.9305, 0.25, (0.9305, 0.25))  # BPE is tried after unigram: unigram stays


def test_select_trains_every_candidate_with_both_types_and_keeps_the_best(tmp_path, german):
    train, held, held_all = german
    res, cand, loss, auc, tried = select_vocab("de", train, held, held_all, tmp_path, "100M", vocabs=(200, 400))
    assert list(tried) == ["200/ccnet", "400/ccnet", "200/ccnet/bpe", "400/ccnet/bpe"]
    assert auc == max(tried.values()) == tried[cand.key]
    assert sp_model_type(res.sp_path) == cand.sp_type
    lm = LanguageModel(tmp_path, "de", "read")  # either kind of .sp.model loads the same way
    assert lm.document_perplexity(held[0]) is not None


def test_select_can_be_limited_to_unigram(tmp_path, german):
    train, held, held_all = german
    res, cand, _, auc, tried = select_vocab("de", train, held, held_all, tmp_path, "100M", vocabs=(200,),
                                            sp_types=("unigram",))
    assert list(tried) == ["200/ccnet"] and cand == Candidate(200)
    assert sp_model_type(res.sp_path) == "unigram"


def test_the_auc_standard_error_matches_hanley_and_mcneil_by_hand():
    # A = 0.95, 400 clean, 1600 corrupted: Q1 = 0.95/1.05, Q2 = 2*0.9025/1.95, Hanley & McNeil's formula.
    q1, q2 = 0.95 / 1.05, 1.805 / 1.95
    var = (0.95 * 0.05 + 1599 * (q1 - 0.9025) + 399 * (q2 - 0.9025)) / (400 * 1600)
    assert auc_standard_error(0.95, 400, 1600) == pytest.approx(var ** 0.5, rel=1e-12)
    assert auc_standard_error(0.95, 400, 1600) == pytest.approx(0.004489, abs=1e-6)
    assert auc_standard_error(1.0, 400, 1600) == 0.0
    assert validation_se(0.95, 400) == 0.0045  # 4 corruption kinds per clean line


def test_the_default_models_tried_both_types_and_record_the_winner():
    d = default_model_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for lang, entry in manifest["languages"].items():
        tried = entry["validation_auc_per_candidate"]
        unigram = [k for k in tried if not k.endswith("/bpe")]
        assert sorted(k for k in tried if k.endswith("/bpe")) == sorted(k + "/bpe" for k in unigram), lang
        assert entry["validation_auc"] == max(tried.values()), lang
        assert sp_model_type(d / f"{lang}.sp.model") == entry["sp_model_type"], lang
