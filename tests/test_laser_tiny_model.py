"""A tiny LASER-format checkpoint built from test text, and the proof that it loads.

The format is what ``laser_encoders.models.SentenceEncoder`` reads for LSTM encoders (LASER2):
``torch.save({"params": LaserLstmEncoder kwargs, "model": state_dict, "dictionary": {piece: id}})``
beside ``laser2.spm`` (a SentencePiece model) and ``laser2.cvocab`` (fairseq vocabulary text).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def tatoeba_lines(shared_data: Path, n: int = 300) -> list[str]:
    root = shared_data / "tatoeba" / "eng-fra"
    lines = []
    for ext in ("eng", "fra"):
        lines += (root / f"tatoeba-test-v2021-08-07.{ext}").read_text(encoding="utf-8").splitlines()[:n]
    return lines


def build_tiny_laser(directory: Path, sentences: list[str], hidden: int = 16, seed: int = 0) -> Path:
    """Write laser2.spm, laser2.cvocab and laser2.pt (random bidirectional LSTM) into ``directory``."""
    import sentencepiece as spm
    import torch
    from laser_encoders.models import LaserLstmEncoder

    directory.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([s.lower() for s in sentences]), model_prefix=str(directory / "laser2"),
        vocab_size=200, model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
        minloglevel=2, num_threads=1)
    (directory / "laser2.model").rename(directory / "laser2.spm")
    (directory / "laser2.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file=str(directory / "laser2.spm"))
    pieces = [sp.id_to_piece(i) for i in range(3, sp.get_piece_size())]  # 0-2: <unk>, <s>, </s>
    dictionary = {p: i + 4 for i, p in enumerate(pieces)}  # 0-3: <s> <pad> </s> <unk>
    (directory / "laser2.cvocab").write_text("".join(f"{p} 1\n" for p in pieces), encoding="utf-8")
    params = {"num_embeddings": len(dictionary) + 4, "padding_idx": 1, "embed_dim": 8, "hidden_size": hidden,
              "num_layers": 1, "bidirectional": True}
    torch.manual_seed(seed)
    model = LaserLstmEncoder(**params)
    torch.save({"params": params, "model": model.state_dict(), "dictionary": dictionary}, directory / "laser2.pt")
    return directory


@pytest.fixture(scope="session")
def tiny_laser(tmp_path_factory, shared_data) -> Path:
    return build_tiny_laser(tmp_path_factory.mktemp("laser"), tatoeba_lines(shared_data))


def test_tiny_checkpoint_loads_through_laser_encoder_pipeline(tiny_laser):
    from laser_encoders import LaserEncoderPipeline

    pipeline = LaserEncoderPipeline(laser="laser2", model_dir=str(tiny_laser))
    emb = pipeline.encode_sentences(["Hello, world.", "Bonjour le monde."], normalize_embeddings=True)
    assert emb.shape == (2, 32)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
