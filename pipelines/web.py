"""The web pipeline: WARC -> extraction -> language ID -> Parquet (later: filters, dedup)."""

from __future__ import annotations

from curation.config import PipelineConfig
from curation.stage import Stage
from dedup.stage import MinHashStage
from filters.extract import ExtractStage
from filters.langid import LangIdStage
from filters.perplexity import PerplexityStage
from filters.quality import QualityStage
from filters.url_filter import UrlFilterStage


def build_stages(cfg: PipelineConfig) -> list[Stage]:
    stages: list[Stage] = []
    if cfg.url_filter.enabled:  # first: needs only the URL, so blocked pages are never extracted
        stages.append(UrlFilterStage(cfg.url_filter))
    stages.append(ExtractStage(cfg.extract))
    if cfg.langid.enabled:
        stages.append(LangIdStage(cfg.langid))
    if cfg.quality.enabled:  # heuristic signals + per-language rules; needs the language
        stages.append(QualityStage(cfg.quality))
    if cfg.perplexity.enabled:  # after langid/quality: needs the language; before minhash
        stages.append(PerplexityStage(cfg.perplexity))
    if cfg.dedup.enabled:  # last: signatures of the kept rows, for the post-commit dedup phase
        stages.append(MinHashStage(cfg.dedup.minhash))
    return stages
