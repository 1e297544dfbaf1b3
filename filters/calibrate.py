"""Per-language thresholds from signal distributions (``curate calibrate``).

The rule (CulturaX-style, README "Quality filters" explains the choice):
- For every language and every rule in ``filters.quality.RULES`` we take the signal's
  distribution over the language's reference documents and put the bound on the bad side at
  the bad-side percentile: for ``max`` rules the looser of P99 and Tukey's fence Q3 + 1.5 IQR,
  for ``min`` rules P1 (a lower fence Q1 - 1.5 IQR falls below zero on the skewed length and
  ratio distributions and would switch the rule off). CulturaX cuts each metric's tail per language
  at a percentile of the whole corpus, which is noisy; our reference sample is clean text
  (web pages that passed extraction and language ID, news and curated sentences), so its tail
  is real variation of the language and we cut beyond it: each rule rejects at most ~1% of a
  clean sample. The fence keeps a small sample, whose P99 is just its maximum, from fitting
  its own noise.
- ``ANCHORS`` are the anchor projects' language-independent tolerances (Gopher, FineWeb, ours):
  a calibrated bound is never stricter than its anchor. Calibration thus widens a rule where a
  language's clean text needs it (Thai lines rarely end in punctuation) and sets the
  language-dependent rules (stop-word ratio, mean word length) from the data alone.
- A language with fewer than ``min_docs`` documents uses the pooled distribution of its
  script group (Latin, Cyrillic, Arabic, CJK, Brahmic, Thai, Hebrew, Greek, Hangul) and says so.
- The language-ID threshold is ``filters.langid_calibration.langid_threshold`` (FineWeb-2's
  ``max(0.3, min(0.9, median - std))``) on the language's own scores.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from curation.config import TARGET_LANGUAGES
from filters.langid_calibration import fineweb2_threshold, langid_threshold
from filters.quality import RULES
from filters.signals import compute_signals
from filters.signals_scripts import SCRIPT_GROUP, script_group

# (signal, side) -> the loosest bound calibration may start from: a max bound is never below
# it, a min bound never above it. Sources: Gopher (Rae et al. 2021, table A1), FineWeb
# (Penedo et al. 2024, FineWebQualityFilter), ours where neither has one (see comments).
ANCHORS: dict[tuple[str, str], float] = {
    ("words", "min"): 50.0,  # Gopher min_doc_words
    ("bullet_line_ratio", "max"): 0.9,  # Gopher max_bullet_lines_ratio
    ("ellipsis_line_ratio", "max"): 0.3,  # Gopher max_ellipsis_lines_ratio
    ("short_line_ratio", "max"): 0.67,  # FineWeb short_line_thr
    ("no_terminal_punct_ratio", "max"): 0.88,  # FineWeb line_punct_thr 0.12 (lines WITH punctuation)
    ("dup_line_frac", "max"): 0.3,  # Gopher dup_line_frac
    ("dup_para_frac", "max"): 0.3,  # Gopher dup_para_frac
    ("dup_line_char_frac", "max"): 0.2,  # Gopher dup_line_char_frac
    ("dup_para_char_frac", "max"): 0.2,  # Gopher dup_para_char_frac
    ("top_2gram_frac", "max"): 0.2,  # Gopher top_n_grams
    ("top_3gram_frac", "max"): 0.18,
    ("top_4gram_frac", "max"): 0.16,
    ("dup_5gram_frac", "max"): 0.15,  # Gopher dup_n_grams
    ("dup_6gram_frac", "max"): 0.14,
    ("dup_7gram_frac", "max"): 0.13,
    ("dup_8gram_frac", "max"): 0.12,
    ("dup_9gram_frac", "max"): 0.11,
    ("dup_10gram_frac", "max"): 0.10,
    ("max_dup_line_run", "max"): 3.0,  # ours: 4+ identical consecutive lines is template output
    ("blockword_ratio", "max"): 0.01,  # ours: one blocklisted word per 100 (C4 drops at one)
    ("replacement_ratio", "max"): 0.001,  # ours: a stray U+FFFD per 1,000 chars is tolerated
    ("mojibake_ratio", "max"): 0.001,  # ours
    ("control_ratio", "max"): 0.001,  # ours
    ("foreign_script_ratio", "max"): 0.1,  # ours: quotes and names in another script
    ("special_ratio", "max"): 0.25,  # ours: CulturaX-like special-character ceiling
    ("digit_ratio", "max"): 0.15,  # ours
}
DEFAULT_PERCENTILE = 99.0
DEFAULT_FENCE = 1.5
DEFAULT_MIN_DOCS = 50
# Reasons set before the quality stage: those rows never reached it and are not calibrated on.
_BEFORE_QUALITY = ("input_", "revisit", "no_http", "http_status", "payload_", "content_encoding",
                   "unsupported_content", "non_html", "empty_payload", "extract_", "language_", "url_")


@dataclass
class Doc:
    language: str
    text: str
    provenance: str  # e.g. "web:pages-trafilatura-eval", "pseudo:ntrex128"
    language_score: float | None = None
    perplexity: float | None = None


def bound(values: Sequence[float], side: str, percentile: float = DEFAULT_PERCENTILE,
          fence: float = DEFAULT_FENCE) -> float:
    """The bad-side bound of one distribution: max(P99, Q3 + fence IQR) above, P1 below."""
    v = np.asarray(values, dtype=np.float64)
    if side == "max":
        q1, q3 = np.percentile(v, [25, 75])
        return float(max(np.percentile(v, percentile), q3 + fence * (q3 - q1)))
    return float(max(0.0, np.percentile(v, 100 - percentile)))


# Signals that are shares of something: a bound above 1 would mean "never", so it is written as 1.
_UNBOUNDED = {"chars", "words", "mean_word_len", "max_dup_line_run"}


def _anchored(sig: str, side: str, value: float) -> float:
    anchor = ANCHORS.get((sig, side))
    if anchor is not None:
        value = max(value, anchor) if side == "max" else min(value, anchor)
    if side == "max" and sig not in _UNBOUNDED:
        value = min(value, 1.0)
    # Rounded outwards: a bound rounded to nearest can cut below the very document it was
    # computed from (ClueWeb's Japanese menu page sat at 0.91304 under a written 0.913).
    scaled = value * 10_000
    return (math.ceil(scaled - 1e-9) if side == "max" else math.floor(scaled + 1e-9)) / 10_000


# (language, signal, side) left out: Japanese words are single characters except katakana and
# Latin runs, so its mean word length sits at 1 by definition and a lower bound only measures
# how much katakana a page has.
NOT_CALIBRATED = {("ja", "mean_word_len", "min")}


def thresholds_for(signal_rows: list[dict[str, float]], percentile: float, fence: float,
                   lang: str | None = None) -> dict[str, Any]:
    out: dict[str, dict[str, float]] = {"min": {}, "max": {}}
    for sig, side, _reason in RULES:
        if (lang, sig, side) in NOT_CALIBRATED:
            continue
        values = [r[sig] for r in signal_rows]
        out[side][sig] = _anchored(sig, side, bound(values, side, percentile, fence))
    return out


def _reached_quality(reason: str | None) -> bool:
    return reason is None or not reason.startswith(_BEFORE_QUALITY)


def load_sample(out_dir: str | Path) -> tuple[list[Doc], dict[str, list[float]]]:
    """Documents of a run's output (data/ + rejected/) that reached the quality stage, and the
    language-ID scores of every document that got a language."""
    root = Path(out_dir)
    parts = [p for p in (root / "data", root / "rejected") if p.is_dir()]
    if not parts:
        raise FileNotFoundError(f"no data/ or rejected/ under {root}: not a run's output directory")
    docs: list[Doc] = []
    scores: dict[str, list[float]] = defaultdict(list)
    for path in sorted(f for part in parts for f in part.rglob("*.parquet")):
        names = pq.read_schema(path).names
        cols = [c for c in ("text", "language", "language_score", "reject_reason", "source", "perplexity")
                if c in names]
        table = pq.read_table(path, columns=cols)
        if "language" not in names and path.parent.name.startswith("language="):
            # data/language=xx/ files may leave the partition key out of the file itself
            table = table.append_column("language", pa.array([path.parent.name[9:]] * table.num_rows, pa.string()))
            cols.append("language")
        data = {c: table.column(c).to_pylist() for c in cols}
        n = table.num_rows
        for i in range(n):
            lang = data["language"][i] if "language" in data else None
            if not lang:
                continue
            score = data.get("language_score", [None] * n)[i]
            if score is not None:
                scores[lang].append(float(score))
            reason = data.get("reject_reason", [None] * n)[i]
            text = data["text"][i] if "text" in data else None
            if text and _reached_quality(reason):
                src = Path(str(data.get("source", [""] * n)[i] or "")).name.split(".")[0] or root.name
                ppl = data.get("perplexity", [None] * n)[i]
                docs.append(Doc(lang, text, f"web:{src}", score, None if ppl is None else float(ppl)))
    return docs, dict(scores)


NTREX = {"en": "eng-US", "zh": "zho_Hans", "ar": "arb", "de": "deu", "es": "spa", "fr": "fra", "ko": "kor",
         "ja": "jpn", "pt": "por", "tr": "tur", "bn": "ben", "he": "heb", "id": "ind", "it": "ita", "ms": "msa",
         "nl": "nld", "pl": "pol", "ru": "rus", "th": "tha", "uk": "ukr", "ur": "urd", "vi": "vie", "cs": "ces",
         "el": "ell", "hu": "hun", "kk": "kaz", "ro": "ron", "az": "aze-Latn", "ne": "nep"}
_JOIN = {"zh": "", "ja": ""}


def _paragraphs(sentences: list[str], lang: str, per_paragraph: int = 3) -> str:
    joiner = _JOIN.get(lang, " ")
    return "\n".join(joiner.join(sentences[i: i + per_paragraph]) for i in range(0, len(sentences), per_paragraph))


def pseudo_documents(data_dir: str | Path, languages: Iterable[str] = TARGET_LANGUAGES,
                     sentences_per_doc: int = 12) -> list[Doc]:
    """Documents made of real running text for languages short of web pages: NTREX-128 news
    articles (grouped by DOCUMENT_IDS.tsv) and ``sentences/`` in groups of 12, three sentences
    per paragraph. Never FLORES (evaluation data)."""
    data = Path(data_dir)
    docs: list[Doc] = []
    ids_path = data / "ntrex128" / "DOCUMENT_IDS.tsv"
    doc_ids = [x.split("\t")[0] for x in ids_path.read_text(encoding="utf-8").splitlines()] if ids_path.is_file() \
        else []
    for lang in languages:
        path = data / "ntrex128" / f"newstest2019-ref.{NTREX.get(lang, '')}.txt"
        if lang in NTREX and path.is_file() and doc_ids:
            groups: dict[str, list[str]] = defaultdict(list)
            for did, line in zip(doc_ids, path.read_text(encoding="utf-8").splitlines()):
                if line.strip():
                    groups[did].append(line.strip())
            docs.extend(Doc(lang, _paragraphs(s, lang), "pseudo:ntrex128") for s in groups.values())
        spath = data / "sentences" / f"{lang}.txt"
        if spath.is_file():
            lines = [x.strip() for x in spath.read_text(encoding="utf-8").splitlines() if x.strip()]
            for i in range(0, len(lines) - sentences_per_doc + 1, sentences_per_doc):
                docs.append(Doc(lang, _paragraphs(lines[i: i + sentences_per_doc], lang), "pseudo:sentences"))
    return docs


def _provenance(docs: list[Doc]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for d in docs:
        counts[d.provenance] += 1
    return dict(sorted(counts.items()))


def calibrate(docs: list[Doc], langid_scores: dict[str, list[float]] | None = None,
              languages: Iterable[str] = TARGET_LANGUAGES, min_docs: int = DEFAULT_MIN_DOCS,
              percentile: float = DEFAULT_PERCENTILE, fence: float = DEFAULT_FENCE,
              source: str = "", progress: bool = False) -> dict[str, Any]:
    """The thresholds document (what ``curate calibrate`` writes as YAML)."""
    by_lang: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        by_lang[d.language].append(d)
    from tqdm import tqdm

    bar = tqdm(total=len(docs), desc="signals", unit="doc", disable=not progress, leave=False)
    signals: dict[str, list[dict[str, float]]] = {}
    for lang, lang_docs in by_lang.items():
        signals[lang] = []
        for d in lang_docs:
            signals[lang].append(compute_signals(d.text, lang))
            bar.update()
    bar.close()
    by_group: dict[str, list[dict[str, float]]] = defaultdict(list)
    group_docs: dict[str, list[Doc]] = defaultdict(list)
    for lang, rows in signals.items():
        by_group[script_group(lang)].extend(rows)
        group_docs[script_group(lang)].extend(by_lang[lang])
    groups: dict[str, Any] = {}
    for g in sorted(set(SCRIPT_GROUP.values())):
        if by_group.get(g):
            groups[g] = {"n_docs": len(by_group[g]), "provenance": _provenance(group_docs[g]),
                         **thresholds_for(by_group[g], percentile, fence)}
    scores = langid_scores or {}
    langs: dict[str, Any] = {}
    min_scores: dict[str, float] = {}
    for lang in languages:
        rows = signals.get(lang, [])
        entry: dict[str, Any] = {"n_docs": len(rows), "provenance": _provenance(by_lang.get(lang, []))}
        g = script_group(lang)
        if len(rows) >= min_docs:
            entry["calibrated_on"] = "own"
            entry.update(thresholds_for(rows, percentile, fence, lang))
        elif g in groups and groups[g]["n_docs"] >= min_docs:
            entry["calibrated_on"] = f"script group {g} (fewer than {min_docs} own documents)"
            entry.update({"min": groups[g]["min"], "max": groups[g]["max"]})
        else:
            entry["calibrated_on"] = f"none: fewer than {min_docs} documents in {lang} and in script group {g}"
        lid = scores.get(lang, [])
        if lid:
            entry["langid"] = {"n_scores": len(lid), "min_score": langid_threshold(lid),
                               "fineweb2_rule": round(fineweb2_threshold(lid), 3),
                               "median": round(float(np.median(lid)), 3)}
            min_scores[lang] = langid_threshold(lid)
        langs[lang] = entry
    ppl: dict[str, list[float]] = defaultdict(list)
    for d in docs:
        if d.perplexity is not None:
            ppl[d.language].append(d.perplexity)
    extra: dict[str, Any] = {}
    if ppl:  # the perplexity stage's section (filters/perplexity_calibration.py reads it)
        from filters.perplexity_calibration import calibrate_perplexity

        extra["perplexity"] = calibrate_perplexity(ppl)
    return {
        "version": 1,
        "generated": _dt.date.today().isoformat(),
        "source": source,
        "rule": {"max": f"max(P{percentile:g}, Q3 + {fence:g} IQR, anchor)",
                 "min": f"min(P{100 - percentile:g}, anchor), floored at 0",
                 "min_docs": min_docs, "fallback": "pooled script group",
                 "langid": "max(0.3, min(0.9, median - std)) of the language's scores (FineWeb-2)"},
        "langid": {"min_scores": min_scores},
        "languages": langs,
        "groups": groups,
        **extra,
    }


def score_languages(docs: list[Doc]) -> None:
    """Fill ``language_score`` of documents without one using the default language identifier."""
    todo = [d for d in docs if d.language_score is None]
    if not todo:
        return
    from filters.langid import LanguageIdentifier

    try:
        lid = LanguageIdentifier()
    except FileNotFoundError:
        lid = LanguageIdentifier(second_stage=False)
    for d in todo:
        p = lid.predict(d.text)
        d.language_score = p.score if p.language == d.language else None


def write_thresholds(doc: dict[str, Any], out: str | Path) -> None:
    header = ("# Per-language quality thresholds written by `curate calibrate` (filters/calibrate.py).\n"
              "# min: reject below; max: reject above. n_docs/provenance: the sample each language's\n"
              "# bounds come from; calibrated_on says when a script group's pooled sample was used.\n")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120),
                         encoding="utf-8")
