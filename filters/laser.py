"""LASER scoring of sentence pairs with ``laser_encoders.LaserEncoderPipeline`` (LASER2).

Each batch of pairs is one scoring window: both sides are embedded (batched by tokens through
the encoder's ``max_tokens``/``max_sentences``, on GPU when the actor has one), then every
still-active pair gets ``laser_cosine`` and ``laser_score`` (the ratio margin against its k
nearest neighbours in the window, see :mod:`filters.laser_margin`). Pairs below the configured
thresholds are rejected as ``laser_low_margin`` / ``laser_low_cosine``.

A missing model directory fails when the pipeline is built, before any data is read, with
the exact download command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curation.assets import asset_dir
from curation.stage import Resources, Stage, active_mask, reject, set_column
from filters.laser_margin import cosine_scores, margin_scores
from pipelines.parallel_config import LaserConfig

MODEL_FILES = ("laser2.pt", "laser2.spm", "laser2.cvocab")  # what LaserEncoderPipeline(laser="laser2") opens


class LaserModelMissing(FileNotFoundError):
    """The LASER model directory lacks its files; the message says how to get them."""


def model_dir(cfg: LaserConfig) -> Path:
    return Path(cfg.model_dir).expanduser() if cfg.model_dir else asset_dir("laser")


def download_command(directory: Path) -> str:
    return f"python -m laser_encoders.download_models --laser laser2 --model-dir {directory}"


def check_model_dir(cfg: LaserConfig) -> Path:
    """Fail now (not at the millionth row) when the LASER2 files are not there."""
    directory = model_dir(cfg)
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise LaserModelMissing(f"LASER model not found: {directory} lacks {', '.join(missing)}; download it with: "
                                f"{download_command(directory)} (or set parallel.laser.enabled: false)")
    return directory


class LaserStage(Stage):
    name = "laser"
    batch_is_window = True
    _unpicklable = ("_pipeline",)

    def __init__(self, cfg: LaserConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.window
        self.resources = Resources(cpus=1.0, gpus=cfg.gpus, memory_mb=4096)
        self._pipeline: Any = None

    def setup(self) -> None:
        import torch
        from laser_encoders import LaserEncoderPipeline

        directory = check_model_dir(self.cfg)
        pipeline = LaserEncoderPipeline(laser="laser2", model_dir=str(directory))
        encoder = pipeline.encoder
        encoder.max_tokens = self.cfg.max_tokens
        encoder.max_sentences = self.cfg.max_sentences
        use_cuda = torch.cuda.is_available() and self.cfg.device != "cpu"
        if self.cfg.device == "cuda" and not use_cuda:
            raise RuntimeError("parallel.laser.device is cuda but no GPU is visible to this process")
        encoder.use_cuda = use_cuda
        encoder.encoder.to("cuda" if use_cuda else "cpu")
        self._pipeline = pipeline

    def embed(self, sentences: list[str]) -> np.ndarray:
        """Unit-length LASER embeddings, one row per sentence."""
        if not sentences:
            return np.zeros((0, 1024), dtype=np.float32)
        return np.asarray(self._pipeline.encode_sentences(sentences, normalize_embeddings=True))

    def score(self, src: list[str], tgt: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(cosine, margin) for aligned sentence lists forming one window."""
        x, y = self.embed(src), self.embed(tgt)
        return cosine_scores(x, y), margin_scores(x, y, self.cfg.k)

    def process(self, batch: pa.Table) -> pa.Table:
        active = [i for i, ok in enumerate(active_mask(batch)) if ok]
        cosine: list[float | None] = [None] * batch.num_rows
        margin: list[float | None] = [None] * batch.num_rows
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        if active:
            src, tgt = batch.column("src").to_pylist(), batch.column("tgt").to_pylist()
            cos, mar = self.score([src[i] for i in active], [tgt[i] for i in active])
            windowed = len(active) > self.cfg.k  # a margin needs neighbours besides the pair itself
            for j, i in enumerate(active):
                cosine[i] = float(cos[j])
                margin[i] = float(mar[j]) if windowed else None
                if self.cfg.min_cosine is not None and cos[j] < self.cfg.min_cosine:
                    reasons[i], details[i] = "laser_low_cosine", f"{cos[j]:.3f} < {self.cfg.min_cosine}"
                elif windowed and self.cfg.min_margin is not None and mar[j] < self.cfg.min_margin:
                    reasons[i], details[i] = "laser_low_margin", f"{mar[j]:.3f} < {self.cfg.min_margin}"
        batch = set_column(batch, "laser_cosine", pa.array(cosine, type=pa.float32()))
        batch = set_column(batch, "laser_score", margin)
        return reject(batch, reasons, details)
