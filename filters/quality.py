"""The quality stage: heuristic signals as ``q_<signal>`` columns, then per-language rules.

Thresholds come from a YAML file written by ``curate calibrate`` (default: the shipped
``filters/assets/thresholds.yaml``). ``decide`` applies the rules in ``RULES`` order; the first
failing rule names the reject reason and ``reject_detail`` says ``signal=value > bound``.
A language without its own entry uses its script group's pooled entry (``groups:``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation import yamlio
from curation.config import QualityConfig
from curation.stage import Resources, Stage, active_mask, reject, set_column
from filters.signals import SIGNALS, compute_signals
from filters.signals_scripts import script_group

DEFAULT_THRESHOLDS = Path(__file__).parent / "assets" / "thresholds.yaml"

# (signal, side, reason) in the order they are checked. Garbling first (it makes every other
# signal meaningless), then blocklists, then length and language-shape rules, then line shape,
# then repetition. ``min``: reject below the bound; ``max``: reject above it.
RULES: list[tuple[str, str, str]] = [
    ("replacement_ratio", "max", "quality_replacement_chars"),
    ("mojibake_ratio", "max", "quality_mojibake"),
    ("control_ratio", "max", "quality_control_chars"),
    ("foreign_script_ratio", "max", "quality_script_mixing"),
    ("blockword_ratio", "max", "quality_blockwords"),
    ("words", "min", "quality_too_short"),
    ("stopword_ratio", "min", "quality_stopword_ratio"),
    ("mean_word_len", "min", "quality_mean_word_len"),
    ("mean_word_len", "max", "quality_mean_word_len"),
    ("special_ratio", "max", "quality_special_ratio"),
    ("digit_ratio", "max", "quality_digit_ratio"),
    ("short_line_ratio", "max", "quality_short_lines"),
    ("no_terminal_punct_ratio", "max", "quality_no_terminal_punct"),
    ("bullet_line_ratio", "max", "quality_bullet_lines"),
    ("ellipsis_line_ratio", "max", "quality_ellipsis_lines"),
    ("max_dup_line_run", "max", "quality_dup_line_run"),
    ("dup_line_frac", "max", "quality_dup_lines"),
    ("dup_line_char_frac", "max", "quality_dup_lines"),
    ("dup_para_frac", "max", "quality_dup_paragraphs"),
    ("dup_para_char_frac", "max", "quality_dup_paragraphs"),
    ("top_2gram_frac", "max", "quality_top_ngram"),
    ("top_3gram_frac", "max", "quality_top_ngram"),
    ("top_4gram_frac", "max", "quality_top_ngram"),
    *[(f"dup_{n}gram_frac", "max", "quality_dup_ngram") for n in range(5, 11)],
]


@dataclass(frozen=True)
class Bounds:
    """One language's bounds: ``min[signal]`` and ``max[signal]``; a missing signal is not checked."""

    min: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Thresholds:
    languages: dict[str, Bounds]
    groups: dict[str, Bounds]

    def for_language(self, lang: str) -> Bounds | None:
        """The language's own bounds, else its script group's pooled bounds, else None."""
        return self.languages.get(lang) or self.groups.get(script_group(lang))


def _bounds(entry: Any, where: str) -> Bounds:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping with min/max")
    out: dict[str, dict[str, float]] = {"min": {}, "max": {}}
    for side in ("min", "max"):
        for sig, val in (entry.get(side) or {}).items():
            if sig not in SIGNALS:
                raise ValueError(f"{where}.{side}: unknown signal '{sig}' (known: {', '.join(SIGNALS)})")
            out[side][sig] = float(val)
    return Bounds(out["min"], out["max"])


@lru_cache(maxsize=8)
def load_thresholds(path: str | None = None) -> Thresholds:
    """Read a thresholds file (``curate calibrate`` output); errors name the file and key."""
    p = Path(path) if path else DEFAULT_THRESHOLDS
    if not p.is_file():
        raise FileNotFoundError(f"quality thresholds file not found: {p}")
    data = yamlio.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping at the top level")
    langs = {str(k): _bounds(v, f"{p}: languages.{k}") for k, v in (data.get("languages") or {}).items()}
    groups = {str(k): _bounds(v, f"{p}: groups.{k}") for k, v in (data.get("groups") or {}).items()}
    return Thresholds(langs, groups)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def decide(signals: dict[str, float], bounds: Bounds) -> tuple[str, str] | None:
    """The first failing rule as (reason, detail), or None when the document passes."""
    for sig, side, reason in RULES:
        bound = getattr(bounds, side).get(sig)
        if bound is None:
            continue
        value = signals[sig]
        if side == "min" and value < bound:
            return reason, f"{sig}={_fmt(value)} < {_fmt(bound)}"
        if side == "max" and value > bound:
            return reason, f"{sig}={_fmt(value)} > {_fmt(bound)}"
    return None


class QualityStage(Stage):
    """Signals for every active row with text and a language; then ``decide`` when filtering."""

    name = "quality"
    resources = Resources(cpus=1.0, memory_mb=512)

    def __init__(self, cfg: QualityConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._thresholds: Thresholds | None = None

    def setup(self) -> None:
        if self.cfg.filter:  # annotate-only runs (e.g. the first sample for calibrate) need no file
            self._thresholds = load_thresholds(self.cfg.thresholds_path)

    def process(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        texts = batch.column("text").to_pylist()
        langs = batch.column("language").to_pylist()
        cols: dict[str, list[float | None]] = {s: [None] * n for s in SIGNALS}
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        thresholds = self._thresholds
        for i, (text, lang, ok) in enumerate(zip(texts, langs, active_mask(batch))):
            if not ok or not text or not lang:
                continue
            try:
                sig = compute_signals(text, lang)
            except Exception as err:  # noqa: BLE001 - one odd document must not end the job
                reasons[i], details[i] = "quality_error", f"{type(err).__name__}: {err}"[:300]
                continue
            for k, v in sig.items():
                cols[k][i] = v
            bounds = thresholds.for_language(lang) if thresholds is not None else None
            verdict = decide(sig, bounds) if bounds is not None else None
            if verdict is not None:
                reasons[i], details[i] = verdict
        for k, values in cols.items():
            batch = set_column(batch, f"q_{k}", pa.array(values, type=pa.float64()))
        return reject(batch, reasons, details)
