"""A model records the normalisation it was trained with (``<lang>.norm.json``) and the scorer
uses it; a model without the record (CCNet's files) is scored with CCNet's normalisation."""

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from filters.lm_model import LanguageModel, model_normalization, normalization_path
from filters.lm_train import normalized_lines, train_lm
from filters.normalize import normalize_line

VIRAMA, SIGN_U = "\u09cd", "\u09c1"  # Bengali nonspacing marks that CCNet's accent stripping deletes


def bengali(shared_data: Path, n: int = 600) -> list[str]:
    return (shared_data / "sentences" / "bn.txt").read_text(encoding="utf-8").splitlines()[:n]


def test_keep_marks_model_records_its_mode_and_keeps_marks_when_scoring(tmp_path, shared_data):
    train_lm("bn", bengali(shared_data), tmp_path, vocab_size=800, memory="100M", normalization="keep_marks")
    assert normalization_path(tmp_path, "bn").read_text(encoding="utf-8") == '{"normalization": "keep_marks"}\n'
    lm = LanguageModel(tmp_path, "bn", "read")
    assert lm.normalization == "keep_marks"
    pieces = lm.tokenize("কিন্তু তিনি")
    assert VIRAMA in pieces and SIGN_U in pieces


def test_retraining_with_ccnet_removes_the_record_and_strips_marks_again(tmp_path, shared_data):
    train_lm("bn", bengali(shared_data), tmp_path, vocab_size=800, memory="100M", normalization="keep_marks")
    train_lm("bn", bengali(shared_data), tmp_path, vocab_size=800, memory="100M")
    assert not normalization_path(tmp_path, "bn").exists()
    lm = LanguageModel(tmp_path, "bn", "read")
    assert lm.normalization == "ccnet"
    pieces = lm.tokenize("কিন্তু তিনি")
    assert VIRAMA not in pieces and SIGN_U not in pieces
    assert pieces == " ".join(lm.sp.encode(normalize_line("কিন্তু তিনি"), out_type=str))


def test_a_model_directory_without_a_record_is_ccnet(tmp_path):
    assert model_normalization(tmp_path, "bn") == "ccnet"


def test_an_unreadable_or_unknown_record_is_a_clear_error(tmp_path):
    normalization_path(tmp_path, "bn").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unreadable normalisation record .*bn\.norm\.json"):
        model_normalization(tmp_path, "bn")
    normalization_path(tmp_path, "bn").write_text('{"normalization": "nfkd"}', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown normalisation 'nfkd'"):
        model_normalization(tmp_path, "bn")


def test_lower_character_coverage_leaves_the_rarest_characters_to_byte_pieces(tmp_path, shared_data):
    lines = (shared_data / "sentences" / "zh.txt").read_text(encoding="utf-8").splitlines()[:600]
    counts = Counter(c for x in normalized_lines(lines) for c in x if unicodedata.category(c) == "Lo")
    rare = min(counts, key=lambda c: (counts[c], c))  # seen once in the training text
    common = counts.most_common(1)[0][0]
    as_bytes = [f"<0x{b:02X}>" for b in rare.encode("utf-8")]
    full = train_lm("zh", lines, tmp_path / "full", vocab_size=600, memory="100M", byte_fallback=True)
    cut = train_lm("zh", lines, tmp_path / "cut", vocab_size=600, memory="100M", byte_fallback=True,
                   character_coverage=0.98)
    assert counts[rare] == 1
    full_lm, cut_lm = LanguageModel(full.lm_path.parent, "zh", "read"), LanguageModel(cut.lm_path.parent, "zh", "read")
    assert rare in full_lm.tokenize(rare).split()
    assert cut_lm.tokenize(rare).split()[-3:] == as_bytes
    assert common in cut_lm.tokenize(common).split()


def test_a_bpe_sentencepiece_model_is_trained_on_request_and_scores_like_a_unigram_one(tmp_path, shared_data):
    from sentencepiece import sentencepiece_model_pb2 as pb

    lines = bengali(shared_data)
    bpe = train_lm("bn", lines, tmp_path / "bpe", vocab_size=800, memory="100M", sp_type="bpe")
    uni = train_lm("bn", lines, tmp_path / "uni", vocab_size=800, memory="100M")
    kinds = []
    for res in (bpe, uni):
        proto = pb.ModelProto()
        proto.ParseFromString(res.sp_path.read_bytes())
        kinds.append(proto.trainer_spec.model_type)
    assert kinds == [pb.TrainerSpec.BPE, pb.TrainerSpec.UNIGRAM]
    lm = LanguageModel(tmp_path / "bpe", "bn", "read")
    seen = [x for x in lines[:20] if len(x.split()) >= 4]
    assert all(lm.document_perplexity(x) < lm.document_perplexity(" ".join(sorted(x.split()))) for x in seen)
