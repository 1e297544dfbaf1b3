"""Main-text extraction with trafilatura, under a per-document wall-clock limit."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from curation import schema
from curation.child import ChildPool
from curation.config import ExtractConfig
from curation.stage import Resources, Stage, active_mask, reject, set_column


def trafilatura_options(cfg: ExtractConfig) -> dict[str, Any]:
    """The keyword arguments of trafilatura.extract that the config controls."""
    return {
        "favor_precision": cfg.favor_precision,
        "favor_recall": cfg.favor_recall,
        "include_comments": cfg.include_comments,
        "include_tables": cfg.include_tables,
        "include_links": cfg.include_links,
        "include_images": cfg.include_images,
        "deduplicate": cfg.deduplicate,
        "fast": cfg.fast,
    }


def child_options(cfg: ExtractConfig) -> dict[str, Any]:
    """What the extraction child needs: trafilatura's options plus our own switches."""
    return {"trafilatura": trafilatura_options(cfg), "accelerate_selectors": cfg.accelerate_selectors}


def count_words(text: str) -> int:
    return len(text.split())


class ExtractStage(Stage):
    name = "extract"
    resources = Resources(cpus=1.0, memory_mb=1024)
    _unpicklable = ("_pool",)

    def __init__(self, cfg: ExtractConfig, memory_limit_mb: int | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        # Explicit argument (tests) or extract.max_memory_mb.
        self.memory_limit_mb = memory_limit_mb if memory_limit_mb is not None else cfg.max_memory_mb
        self._pool: ChildPool | None = None

    def setup(self) -> None:
        self._pool = ChildPool("filters.extract_child", child_options(self.cfg), self.memory_limit_mb)
        self._pool.start()

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.stop()

    def process(self, batch: pa.Table) -> pa.Table:
        assert self._pool is not None
        # As UTF-8 bytes (zero-copy cast): no decoding here and no re-encoding when the batch is
        # pickled to the child, which decodes each page once (filters/extract_child.py).
        html = batch.column(schema.HTML).cast(pa.large_binary()).to_pylist()
        texts = batch.column("text").to_pylist()
        active = active_mask(batch)
        todo = [i for i, (h, ok) in enumerate(zip(html, active)) if ok and h is not None]
        results = self._pool.map([html[i] for i in todo], self.cfg.timeout_s) if todo else []
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        for i, (status, value) in zip(todo, results):
            if status == "ok":
                texts[i] = value
            else:
                reasons[i] = {"timeout": "extract_timeout"}.get(status, "extract_error")
                details[i] = str(value)
        for i, ok in enumerate(active):
            if ok and reasons[i] is None and (texts[i] is None or len(texts[i].strip()) < max(1, self.cfg.min_chars)):
                texts[i] = None
                reasons[i] = "extract_empty"
        batch = set_column(batch, "text", texts)
        batch = set_column(batch, "n_chars", [len(t) if t is not None else None for t in texts])
        batch = set_column(batch, "n_words", [count_words(t) if t is not None else None for t in texts])
        # Raw HTML is not needed past this point; dropping it keeps later stages light.
        batch = set_column(batch, schema.HTML, pa.nulls(batch.num_rows, pa.large_string()))
        return reject(batch, reasons, details)
