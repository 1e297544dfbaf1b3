"""``curate train-lm --model-type/--normalisation/--character-coverage`` reproduce the default build
for one language; bad values are one-line errors."""

import hashlib
from pathlib import Path

import pytest
from sentencepiece import sentencepiece_model_pb2 as pb

from filters.lm_default_models import Candidate, train_default
from tests.test_lm_train import curate


def kazakh(shared_data: Path) -> list[str]:
    return (shared_data / "sentences" / "kk.txt").read_text(encoding="utf-8").splitlines()[:500]


def spec(path: Path) -> pb.ModelProto:
    proto = pb.ModelProto()
    proto.ParseFromString(path.read_bytes())
    return proto


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def text(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kk") / "kk.txt"
    path.write_text("\n".join(kazakh(shared_data)) + "\n", encoding="utf-8")
    return path


def test_bpe_keep_marks_writes_the_model_files_and_the_sidecar(text, tmp_path):
    out = tmp_path / "lm"
    proc = curate("train-lm", "--lang", "kk", "--text", str(text), "--out", str(out), "--vocab-size", "756",
                  "--memory", "100M", "--own-script", "--model-type", "bpe", "--normalisation", "keep_marks",
                  "--character-coverage", "0.99")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["kk.arpa.bin", "kk.norm.json", "kk.sp.model"]
    assert (out / "kk.norm.json").read_text(encoding="utf-8") == '{"normalization": "keep_marks"}\n'
    trainer = spec(out / "kk.sp.model").trainer_spec
    assert trainer.model_type == pb.TrainerSpec.BPE
    assert trainer.character_coverage == pytest.approx(0.99)
    assert trainer.byte_fallback


def test_the_defaults_are_ccnet_unigram_without_a_sidecar(text, tmp_path):
    out = tmp_path / "lm"
    assert curate("train-lm", "--lang", "kk", "--text", str(text), "--out", str(out), "--vocab-size", "756",
                  "--memory", "100M").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["kk.arpa.bin", "kk.sp.model"]
    assert spec(out / "kk.sp.model").trainer_spec.model_type == pb.TrainerSpec.UNIGRAM


def test_the_flags_reproduce_the_default_build_for_one_language(text, shared_data, tmp_path):
    cand = Candidate(500, "keep_marks", 1.0, "bpe")
    built = train_default("kk", kazakh(shared_data), tmp_path / "build", cand, "100M")
    out = tmp_path / "cli"
    proc = curate("train-lm", "--lang", "kk", "--text", str(text), "--out", str(out), "--vocab-size", "756",
                  "--memory", "100M", "--own-script", "--model-type", "bpe", "--normalisation", "keep_marks")
    assert proc.returncode == 0, proc.stderr
    assert [p.piece for p in spec(out / "kk.sp.model").pieces] == [p.piece for p in spec(built.sp_path).pieces]
    assert sha(out / "kk.arpa.bin") == sha(built.lm_path)
    assert (out / "kk.norm.json").read_bytes() == (tmp_path / "build" / "kk.norm.json").read_bytes()


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--model-type", "wordpiece", "--model-type must be one of unigram, bpe, got 'wordpiece'"),
    ("--normalisation", "nfkd", "--normalisation must be one of ccnet, keep_marks, got 'nfkd'"),
    ("--character-coverage", "0.5", "--character-coverage must be a number from 0.98 to 1.0, got '0.5'"),
    ("--character-coverage", "all", "--character-coverage must be a number from 0.98 to 1.0, got 'all'"),
])
def test_a_bad_value_is_a_one_line_error_and_writes_nothing(text, tmp_path, flag, value, message):
    out = tmp_path / "lm"
    proc = curate("train-lm", "--lang", "kk", "--text", str(text), "--out", str(out), flag, value)
    assert proc.returncode == 2
    assert proc.stderr == f"curate: error: {message}\n"
    assert not out.exists()
