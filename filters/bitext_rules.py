"""Pair rules: each one a reject reason with a documented threshold (``parallel.rules``).

Rules run in the order of :data:`RULE_ORDER`; the first failing one names the pair's
``reject_reason`` and ``reject_detail`` says by how much. Signal values stay as columns
(``length_ratio``, ``special_ratio``, …) so thresholds can be re-applied without recomputing.
Language ID of each side (the LID stage's fastText identifier) runs last, only on pairs that
passed the cheap rules.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from curation.stage import Resources, Stage, active_mask, reject, set_column
from filters import bitext_signals as sig
from filters.language_names import LANGUAGE_NAMES
from pipelines.parallel_config import BitextRulesConfig

# Reject reasons in evaluation order (README "Reject reasons" lists them with their meaning).
RULE_ORDER = [
    "empty_side", "too_short", "too_long", "language_unsupported", "identical_sides", "source_copied", "url",
    "template_literal", "special_ratio", "digit_ratio", "digit_mismatch", "repeated_words", "stopword_ratio",
    "length_ratio", "punctuation_mismatch", "script_mismatch", "language_mismatch",
]
# Length ratio is judged only when the longer side has this many units (short pairs vary a lot).
MIN_UNITS_FOR_RATIO = 10
MIN_WORDS_FOR_STOPWORDS = 8
MIN_WORDS_FOR_REPEATS = 6
# Languages whose stop-word lists match too few inflected/agglutinated word forms: >= 1.5% of
# their FLORES-200 devtest sentences (>= 8 words) score below 0.05 (Korean: 38%, Hebrew 8%,
# Ukrainian 10%; see the README). The rule would mostly reject good pairs there.
NO_STOPWORD_RULE = frozenset({"ko", "he", "uk", "tr", "kk", "az", "ar"})
# Languages lid.176 cannot tell apart on one sentence; a side declared as one may be either.
LID_EQUIVALENT = [frozenset({"ms", "id"})]

SIGNAL_COLUMNS: dict[str, pa.DataType] = {
    "length_ratio": pa.float32(), "special_ratio": pa.float32(), "digit_ratio": pa.float32(),
    "repeated_word_ratio": pa.float32(), "stopword_ratio": pa.float32(), "script_ratio": pa.float32(),
    "src_language": pa.string(), "src_language_score": pa.float32(), "tgt_language": pa.string(),
    "tgt_language_score": pa.float32(),
}


@dataclass
class PairVerdict:
    reason: str | None
    detail: str | None
    signals: dict[str, Any]


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def check_pair(src: str | None, tgt: str | None, src_lang: str, tgt_lang: str,
               cfg: BitextRulesConfig) -> PairVerdict:
    """Every rule but language ID, on one pair; the first failing rule wins."""
    s: dict[str, Any] = {}
    src, tgt = (src or "").strip(), (tgt or "").strip()
    if not src or not tgt:
        return PairVerdict("empty_side", "source" if not src else "target", s)
    short = min(len(src), len(tgt))
    if short < cfg.min_chars:
        return PairVerdict("too_short", f"{short} < {cfg.min_chars} characters", s)
    long = max(len(src), len(tgt))
    if long > cfg.max_chars:
        return PairVerdict("too_long", f"{long} > {cfg.max_chars} characters", s)
    for lang in (src_lang, tgt_lang):
        if lang not in LANGUAGE_NAMES:
            return PairVerdict("language_unsupported", lang, s)
    s["length_ratio"] = sig.length_ratio(src, tgt, src_lang, tgt_lang)
    s["special_ratio"] = max(sig.special_ratio(src), sig.special_ratio(tgt))
    s["digit_ratio"] = max(sig.digit_ratio(src), sig.digit_ratio(tgt))
    src_words, tgt_words = sig.word_list(src, src_lang), sig.word_list(tgt, tgt_lang)
    s["repeated_word_ratio"] = max(
        sig.repeated_word_ratio(w) if len(w) >= MIN_WORDS_FOR_REPEATS else 0.0 for w in (src_words, tgt_words))
    s["stopword_ratio"] = sig.stopword_ratio(src_words, src_lang)
    ratios = [r for r in (sig.script_ratio(src, src_lang), sig.script_ratio(tgt, tgt_lang)) if r is not None]
    s["script_ratio"] = min(ratios) if ratios else None
    if sig.is_identical(src, tgt):
        return PairVerdict("identical_sides", None, s)
    if sig.source_copied(src, tgt):
        return PairVerdict("source_copied", None, s)
    if sig.has_url(src) or sig.has_url(tgt):
        return PairVerdict("url", "source" if sig.has_url(src) else "target", s)
    if sig.has_template_literal(src) or sig.has_template_literal(tgt):
        return PairVerdict("template_literal", "source" if sig.has_template_literal(src) else "target", s)
    if s["special_ratio"] > cfg.max_special_ratio:
        return PairVerdict("special_ratio", f"{_fmt(s['special_ratio'])} > {cfg.max_special_ratio}", s)
    if s["digit_ratio"] > cfg.max_digit_ratio:
        return PairVerdict("digit_ratio", f"{_fmt(s['digit_ratio'])} > {cfg.max_digit_ratio}", s)
    if cfg.check_digit_mismatch and sig.numbers_disagree(src, tgt, src_lang, tgt_lang):
        a, b = sorted(sig.numbers(src, src_lang)), sorted(sig.numbers(tgt, tgt_lang))
        return PairVerdict("digit_mismatch", f"{' '.join(a)} vs {' '.join(b)}"[:200], s)
    if s["repeated_word_ratio"] > cfg.max_repeated_word_ratio:
        return PairVerdict("repeated_words", f"{_fmt(s['repeated_word_ratio'])} > {cfg.max_repeated_word_ratio}", s)
    if (len(src_words) >= MIN_WORDS_FOR_STOPWORDS and src_lang not in NO_STOPWORD_RULE
            and s["stopword_ratio"] < cfg.min_stopword_ratio):
        return PairVerdict("stopword_ratio", f"{_fmt(s['stopword_ratio'])} < {cfg.min_stopword_ratio}", s)
    longer = max(sig.length_units(src, src_lang), sig.length_units(tgt, tgt_lang))
    if longer >= MIN_UNITS_FOR_RATIO and s["length_ratio"] > cfg.max_length_ratio:
        return PairVerdict("length_ratio", f"{_fmt(s['length_ratio'])} > {cfg.max_length_ratio}", s)
    if cfg.check_terminal_punctuation and s["length_ratio"] >= cfg.punctuation_min_ratio:
        # Only the shorter side can be the cut-off one.
        short_is_tgt = sig.length_units(tgt, tgt_lang) < sig.length_units(src, src_lang)
        full, cut, cut_lang, side = (src, tgt, tgt_lang, "target") if short_is_tgt else (tgt, src, src_lang, "source")
        if cut_lang not in sig.NO_TERMINAL_MARK and sig.ends_sentence(full) and not sig.ends_sentence(cut):
            return PairVerdict("punctuation_mismatch", f"shorter {side} has no sentence-final mark", s)
    if s["script_ratio"] is not None and s["script_ratio"] < cfg.min_script_ratio:
        return PairVerdict("script_mismatch", f"{_fmt(s['script_ratio'])} < {cfg.min_script_ratio}", s)
    return PairVerdict(None, None, s)


def _same_language(declared: str, predicted: str) -> bool:
    return declared == predicted or any(declared in g and predicted in g for g in LID_EQUIVALENT)


# The declared language as a runner-up this probable still counts as a match (close languages).
RUNNER_UP_MIN_SCORE = 0.25


def language_matches(declared: str, prediction: tuple[str, float, str | None, float | None],
                     min_score: float) -> bool:
    """A side fails only when LID confidently names another language and ours is not a close second."""
    top, score, runner_up, runner_up_score = prediction
    if _same_language(declared, top) or score < min_score:
        return True
    return (runner_up is not None and _same_language(declared, runner_up)
            and (runner_up_score or 0.0) >= RUNNER_UP_MIN_SCORE)


Predict = Callable[[str], tuple[str, float, str | None, float | None]]


def load_language_identifier(model_path: str | None) -> Predict:
    """The LID stage's identifier (two-stage when its second-stage model is built)."""
    try:
        from filters.langid import LanguageIdentifier, default_second_stage_path
    except ImportError:  # the first LID version: one fastText model behind LangIdStage
        from curation.config import LangIdConfig
        from filters.langid import LangIdStage

        stage = LangIdStage(LangIdConfig(model_path=model_path))
        stage.setup()
        return stage.predict
    try:
        second = os.path.exists(default_second_stage_path())
    except Exception:  # noqa: BLE001 - the second stage is an optional refinement
        second = False
    ident = LanguageIdentifier(model_path, second_stage=second)

    def predict(text: str) -> tuple[str, float, str | None, float | None]:
        p = ident.predict(text)
        return p.language, p.score, p.runner_up, p.runner_up_score

    return predict


class BitextRulesStage(Stage):
    name = "bitext_rules"
    resources = Resources(cpus=1.0, memory_mb=512)
    _unpicklable = ("_predict",)

    def __init__(self, cfg: BitextRulesConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._predict: Predict | None = None

    def setup(self) -> None:
        if self.cfg.language_id:
            self._predict = load_language_identifier(self.cfg.lid_model_path)

    def process(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        cols: dict[str, list[Any]] = {k: [None] * n for k in SIGNAL_COLUMNS}
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        src, tgt = batch.column("src").to_pylist(), batch.column("tgt").to_pylist()
        sl, tl = batch.column("src_lang").to_pylist(), batch.column("tgt_lang").to_pylist()
        for i, ok in enumerate(active_mask(batch)):
            if not ok:
                continue
            verdict = check_pair(src[i], tgt[i], sl[i], tl[i], self.cfg)
            for k, v in verdict.signals.items():
                cols[k][i] = v if v != float("inf") else None
            reasons[i], details[i] = verdict.reason, verdict.detail
            if verdict.reason is None and self._predict is not None:
                reasons[i], details[i] = self._language_id(i, src[i], tgt[i], sl[i], tl[i], cols)
        for name, values in cols.items():
            batch = set_column(batch, name, pa.array(values, type=SIGNAL_COLUMNS[name]))
        return reject(batch, reasons, details)

    def _language_id(self, i: int, src: str, tgt: str, src_lang: str, tgt_lang: str,
                     cols: dict[str, list[Any]]) -> tuple[str | None, str | None]:
        assert self._predict is not None
        failed = []
        for side, text, declared in (("src", src, src_lang), ("tgt", tgt, tgt_lang)):
            pred = self._predict(text)
            cols[f"{side}_language"][i], cols[f"{side}_language_score"][i] = pred[0], pred[1]
            if not language_matches(declared, pred, self.cfg.lid_min_score):
                failed.append(f"{'source' if side == 'src' else 'target'} is {pred[0]} ({pred[1]:.2f}), "
                              f"declared {declared}")
        return ("language_mismatch", "; ".join(failed)) if failed else (None, None)
