"""KenLM perplexity per document (CCNet's DocLM), its bucket, and the ``perplexity_high`` filter.

Each actor loads a language's model the first time a document of that language arrives
(memory-mapped; a worker that sees three languages holds three models). A language without a
model gets a null ``perplexity`` and passes; it is never rejected for lacking one. ``setup``
resolves the model directory once (the default is a symlink a rebuild swaps, see
``filters.lm_model_set``), so every model and the thresholds come from one set.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa

from curation.assets import asset_dir
from curation.config import PerplexityConfig
from curation.stage import Resources, Stage, active_mask, reject, set_column
from filters.lm_model import LanguageModel, available_languages
from filters.perplexity_calibration import bucket, check_recipe, load_thresholds, thresholds_for_models

log = logging.getLogger(__name__)

REASON = "perplexity_high"
_warned: set[Path] = set()  # model sets already warned about (once per process)


def default_model_dir() -> Path:
    return asset_dir("kenlm")


class PerplexityStage(Stage):
    name = "perplexity"
    resources = Resources(cpus=0.5, memory_mb=1024)
    _unpicklable = ("_models",)

    def __init__(self, cfg: PerplexityConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._models: dict[str, LanguageModel] | None = None
        self._languages: set[str] = set()
        self._thresholds: dict[str, dict[str, float]] = {}
        self._set: Path | None = None  # the resolved model directory, fixed at setup

    @property
    def model_dir(self) -> Path:
        return Path(self.cfg.model_dir) if self.cfg.model_dir else default_model_dir()

    def setup(self) -> None:
        self._models = {}
        self._set = self.model_dir.resolve()
        self._languages = set(available_languages(self._set))
        if not self._languages:
            log.warning("no KenLM models in %s: every perplexity stays null", self.model_dir)
        path = Path(self.cfg.thresholds_path) if self.cfg.thresholds_path else thresholds_for_models(self._set)
        if path is None:
            if self._languages and self._set not in _warned:
                _warned.add(self._set)
                log.warning("no perplexity thresholds for the models in %s (perplexity.thresholds_path is null): "
                            "perplexity is scored, no bucket and no rejection", self._set)
            self._thresholds = {}
            return
        check_recipe(path, self._set)
        self._thresholds = load_thresholds(path)

    def model(self, lang: str | None) -> LanguageModel | None:
        """The language's model, loaded on first use; None when there is none."""
        if lang is None or lang not in self._languages:
            return None
        if self._models is None:
            self._models = {}
        m = self._models.get(lang)
        if m is None:
            m = LanguageModel(self._set or self.model_dir.resolve(), lang, self.cfg.load_method)
            self._models[lang] = m
        return m

    def process(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("text").to_pylist()
        langs = batch.column("language").to_pylist()
        n = batch.num_rows
        ppl: list[float | None] = [None] * n
        buckets: list[str | None] = [None] * n
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        for i, (text, lang, ok) in enumerate(zip(texts, langs, active_mask(batch))):
            if not ok or not text:
                continue
            m = self.model(lang)
            if m is None:
                continue
            value = m.document_perplexity(text)
            ppl[i] = value
            edges = self._thresholds.get(lang)
            if value is None or edges is None:
                continue
            buckets[i] = bucket(value, edges)
            if self.cfg.filter and value > edges["cutoff"]:
                reasons[i] = REASON
                details[i] = f"perplexity {value:.1f} > cutoff {edges['cutoff']:.1f} for {lang}"
        batch = set_column(batch, "perplexity", ppl)
        batch = set_column(batch, "perplexity_bucket", pa.array(buckets, type=pa.string()))
        return reject(batch, reasons, details)

    def loaded_languages(self) -> list[str]:
        return sorted(self._models or {})

    def teardown(self) -> None:
        self._models = None

    def __repr__(self) -> str:
        return f"PerplexityStage(model_dir={self.model_dir!s})"


