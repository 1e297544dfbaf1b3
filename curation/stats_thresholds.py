"""Find the thresholds in force for each signal, wherever a filter keeps them.

Filters keep their bounds in different places: the pipeline config (``langid.min_score``,
``extract.min_chars``), per-language maps (``langid.min_scores.de``), and thresholds files
(``filters/assets/thresholds.yaml`` from ``curate calibrate``, perplexity cutoffs). Rather
than hard-wire each layout, we walk any nested mapping and keep numeric leaves whose key path
names a signal column; a path element that is a language code makes the bound per-language.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from curation import yamlio
from curation.config import TARGET_LANGUAGES

COLUMNS = ["signal", "language", "bound", "value", "source"]
ALL_LANGUAGES = "*"

# Config keys whose name does not spell the signal column they bound.
ALIASES = {"min_score": ("language_score", "min"), "min_scores": ("language_score", "min"),
           "min_chars": ("n_chars", "min"), "min_words": ("n_words", "min")}
# Numeric leaves that describe a sample, not a bound.
_NOT_BOUNDS = {"n", "count", "n_docs", "docs", "sample", "sample_size", "size", "seed", "bins", "version",
               "histogram_bins", "log_bins_per_decade", "batch_size", "chunk_rows", "timeout_s", "median", "mean",
               "std", "mad", "k", "p50"}
_SIDES = {"min": "min", "max": "max", "lower": "min", "upper": "max"}


def _norm(name: str) -> tuple[str, str | None]:
    """``q_stopword_ratio_max`` -> (``stopword_ratio``, ``max``)."""
    n = name.lower()
    bound = None
    for b in ("min", "max"):
        if n.startswith(b + "_"):
            n, bound = n[len(b) + 1:], b
        elif n.endswith("_" + b):
            n, bound = n[: -len(b) - 1], b
    if n.startswith("q_"):
        n = n[2:]
    return n, bound


def _signal_index(signals: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for s in signals:
        index.setdefault(_norm(s)[0], s)
        index.setdefault(s.lower(), s)
    return index


def _leaves(data: Any, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], float]]:
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield path, float(data)


def find_thresholds(data: Mapping[str, Any], signals: Iterable[str], source: str,
                    languages: Iterable[str] = TARGET_LANGUAGES) -> pd.DataFrame:
    """Rows (signal, language, bound, value, source) for every numeric leaf that bounds a signal."""
    index = _signal_index(signals)
    langs = set(languages)
    rows = []
    for path, value in _leaves(data):
        if not path or path[-1].lower() in _NOT_BOUNDS:
            continue
        language = next((p for p in path if p in langs), ALL_LANGUAGES)
        if "groups" in path[:-1]:  # a script group's pooled bounds (quality thresholds.yaml)
            language = "group:" + path[path.index("groups") + 1]
        signal = bound = None
        for depth in range(len(path) - 1, -1, -1):  # deepest element naming a signal wins
            part = path[depth]
            if part in langs:
                continue
            if part in ALIASES and ALIASES[part][0] in index.values():
                signal, bound = ALIASES[part]
                break
            name, b = _norm(part)
            if name in index:
                signal = index[name]
                leaf = path[-1]
                # `stopword_ratio.max` or `perplexity.de.cutoff`: the leaf key says which bound.
                below = leaf.lower() if depth < len(path) - 1 and leaf not in langs else None
                parent = _SIDES.get(path[depth - 1].lower()) if depth > 0 else None  # min: {signal: v}
                bound = b or (_SIDES.get(below, below) if below else None) or parent or "value"
                break
        if signal is not None:
            rows.append({"signal": signal, "language": language, "bound": bound, "value": value, "source": source})
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.drop_duplicates(subset=["signal", "language", "bound"], keep="last").reset_index(drop=True)


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yamlio.safe_load(text)


def threshold_files(config: Mapping[str, Any], repo: Path) -> list[tuple[str, Path]]:
    """(section, file) for each thresholds file in force: the ones the config names (a string
    leaf ending in .yaml/.yml/.json under a key mentioning thresholds), and the shipped defaults
    under ``filters/assets`` (``<section>_thresholds.yaml``; plain ``thresholds.yaml`` is the
    quality file) for sections that name none."""
    named: list[tuple[str, Path]] = []

    def walk(data: Any, path: tuple[str, ...]) -> None:
        if isinstance(data, Mapping):
            for k, v in data.items():
                walk(v, (*path, str(k)))
        elif isinstance(data, str) and data.endswith((".yaml", ".yml", ".json")) and any(
                "threshold" in p.lower() or "cutoff" in p.lower() for p in path):
            p = Path(data)
            named.append((path[0] if len(path) > 1 else "", p if p.is_absolute() else repo / p))

    walk(config, ())
    sections = {sec for sec, _ in named}
    for p in sorted((repo / "filters" / "assets").glob("*thresholds.y*ml")):
        stem = p.name.split(".", 1)[0]
        section = stem[: -len("_thresholds")] if stem.endswith("_thresholds") else "quality"
        if section not in sections:
            named.append((section, p))
    return [(sec, p) for sec, p in named if p.is_file()]


def collect_thresholds(config: Mapping[str, Any] | None, signals: Iterable[str], repo: Path) -> pd.DataFrame:
    """Thresholds from thresholds files first, then the config (the config wins on conflicts)."""
    signals = list(signals)
    frames = []
    for section, path in threshold_files(config or {}, repo):
        try:
            data = _load(path)
        except (OSError, ValueError, yaml.YAMLError):
            continue  # an unreadable thresholds file must not stop the stats
        if isinstance(data, Mapping):  # under its section, so `perplexity` + `languages.de.cutoff` match
            frames.append(find_thresholds({section: data} if section else data, signals, str(path)))
    if config:
        # Sections that bound other things than this pipeline's documents (bitext rules, training).
        kind = config.get("pipeline")
        skip = {"input", "output", "runner", "stats", "parallel", "mix", "train", "refresh"} - {kind}
        frames.append(find_thresholds({k: v for k, v in config.items() if k not in skip}, signals, "config"))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(subset=["signal", "language", "bound"], keep="last").reset_index(drop=True)
