"""The web pipeline: WARC -> extraction -> language ID -> Parquet (later: filters, dedup)."""

from __future__ import annotations

from curation.config import PipelineConfig
from curation.stage import Stage
from filters.extract import ExtractStage
from filters.langid import LangIdStage


def build_stages(cfg: PipelineConfig) -> list[Stage]:
    stages: list[Stage] = [ExtractStage(cfg.extract)]
    if cfg.langid.enabled:
        stages.append(LangIdStage(cfg.langid))
    return stages
