"""LASER scoring of sentence pairs with ``laser_encoders.LaserEncoderPipeline`` (LASER2).

Pairs are scored in windows, runs of consecutive pairs of one file cut by the reader
(:mod:`filters.laser_window`), so scores do not depend on the runner's batching. Per window,
both sides of the still-active pairs are embedded (batched by tokens through the encoder's
``max_tokens``/``max_sentences``, on GPU when the actor has one); each gets ``laser_cosine`` and
``laser_score`` (the ratio margin against its k nearest neighbours in the window, see
:mod:`filters.laser_margin`). Pairs below the configured
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
from filters.laser_window import window_groups
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


def select_device(requested: str, cuda_available: bool) -> str:
    """Where the encoder runs: ``auto`` takes the GPU when this process sees one."""
    if requested == "cuda" and not cuda_available:
        raise RuntimeError("parallel.laser.device is cuda but no GPU is visible to this process "
                           "(set parallel.laser.gpus: 1 so Ray places the LASER actors on GPU nodes)")
    return "cuda" if cuda_available and requested != "cpu" else "cpu"


class LaserStage(Stage):
    name = "laser"
    batch_is_window = True
    _unpicklable = ("_pipeline",)

    def __init__(self, cfg: LaserConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.window
        # LASER2 weights are 178 MB; torch plus a 12k-token batch stay well under 2 GB (our estimate).
        self.resources = Resources(cpus=1.0, gpus=cfg.gpus, memory_mb=2048)
        self._pipeline: Any = None
        self.device = "cpu"

    def setup(self) -> None:
        import torch
        from laser_encoders import LaserEncoderPipeline

        directory = check_model_dir(self.cfg)
        # As many threads as the CPUs the stage declares (what Ray reserves for it); also makes
        # the float arithmetic, hence the scores, the same under both runners.
        torch.set_num_threads(max(1, int(self.resources.cpus)))
        pipeline = LaserEncoderPipeline(laser="laser2", model_dir=str(directory))
        encoder = pipeline.encoder
        encoder.max_tokens = self.cfg.max_tokens
        encoder.max_sentences = self.cfg.max_sentences
        self.device = select_device(self.cfg.device, torch.cuda.is_available())
        encoder.use_cuda = self.device == "cuda"
        encoder.encoder.to(self.device)
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
        """Score each window of the batch on its own (:func:`filters.laser_window.window_groups`)."""
        is_active = active_mask(batch)
        cosine: list[float | None] = [None] * batch.num_rows
        margin: list[float | None] = [None] * batch.num_rows
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        src, tgt = batch.column("src").to_pylist(), batch.column("tgt").to_pylist()
        for rows in window_groups(batch):
            active = [i for i in rows if is_active[i]]
            if not active:
                continue
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
