"""The parallel pipeline: pair files -> pair rules -> LASER -> rendering -> Parquet by language pair.

``curate run`` with ``pipeline: parallel`` runs these stages through the same runners, ledger
and atomic per-file commit as the web pipeline, with the bitext reader and ``pair`` as the
partition column, then rebuilds the training entries (``OUT/train/``, with LLaMAX replication).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

from curation.config import PipelineConfig
from curation.io.bitext import read_bitext_unit
from curation.io.bitext_schema import PARTITION
from curation.stage import Stage
from filters.bitext_render import RenderStage
from filters.bitext_rules import BitextRulesStage
from pipelines.parallel_train import write_training_entries


def build_stages(cfg: PipelineConfig) -> list[Stage]:
    """Stages in data-flow order; a missing LASER model or lexicon fails here, before any reading."""
    p = cfg.parallel
    stages: list[Stage] = []
    if p.rules.enabled:
        stages.append(BitextRulesStage(p.rules))
    if p.laser.enabled:
        from filters.laser import LaserStage, check_model_dir

        check_model_dir(p.laser)
        for stage in stages:  # in a pool of their own (LASER on GPU, or unfused), stages before
            stage.batch_is_window = True  # LASER take whole blocks, so windows reach it whole
        stages.append(LaserStage(p.laser))
    if p.render.augment.lexicon_path:
        from filters.bitext_augment import load_lexicon

        load_lexicon(p.render.augment.lexicon_path)  # a bad lexicon fails now, with file and line
    stages.append(RenderStage(p.render))
    return stages


def runner_options(cfg: PipelineConfig) -> dict[str, Any]:
    """How the runners read and partition this pipeline's units."""
    read = cfg.parallel.read
    if cfg.parallel.laser.enabled:  # a read chunk is a LASER scoring window
        read = read.model_copy(update={"chunk_rows": cfg.parallel.laser.window})
    return {"reader": partial(read_bitext_unit, cfg=read), "partition": PARTITION}


def finalize(cfg: PipelineConfig, out: str | Path) -> None:
    """After the commits: rebuild OUT/train (rendered entries, low-resource pairs replicated)."""
    written = write_training_entries(out, cfg.parallel.render, cfg.output.compression, cfg.output.compression_level)
    total = sum(written.values())
    print(f"train: {total} entries in {len(written)} language pairs -> {Path(out) / 'train'}", file=sys.stderr)
