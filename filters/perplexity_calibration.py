"""Per-language perplexity cutoffs and bucket edges from observed perplexities (pure functions).

Rule (in log space, because perplexity is a geometric mean and its spread is multiplicative):
a document is rejected as ``perplexity_high`` when its robust z-score
``(ln ppl - median(ln ppl)) / (1.4826 * MAD(ln ppl))`` exceeds ``k``, i.e. above
``exp(median + k * 1.4826 * MAD)``. Median and MAD ignore the junk tail that a mean and a
standard deviation would chase, and the rule removes only what is "largely above average"
(Marco-LLM §3.1.1) instead of a fixed share of every language. Buckets follow CCNet: head below
the 30th percentile, middle below the 60th, tail above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HEAD_PERCENTILE = 30  # CCNet PerplexityBucket defaults
TAIL_PERCENTILE = 60
DEFAULT_K = 3.0  # robust z-score bound: the usual outlier fence (~0.13% of a normal tail)
MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MIN_DOCS = 20  # fewer values give percentiles too noisy to use; the language is left out

RULE = "cutoff = exp(median(ln ppl) + k * 1.4826 * MAD(ln ppl)); head < p30 <= middle < p60 <= tail"


def language_thresholds(values: Sequence[float], k: float = DEFAULT_K) -> dict[str, float]:
    """Bucket edges and cutoff for one language's perplexities (positive values only)."""
    v = np.asarray([x for x in values if x is not None and x > 0 and math.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        raise ValueError("no positive perplexity values")
    logs = np.log(v)
    median = float(np.median(logs))
    mad = float(np.median(np.abs(logs - median)))
    return {
        "n": int(v.size),
        "median": round(math.exp(median), 1),
        "head": round(float(np.percentile(v, HEAD_PERCENTILE)), 1),
        "tail": round(float(np.percentile(v, TAIL_PERCENTILE)), 1),
        "cutoff": round(math.exp(median + k * MAD_TO_SIGMA * mad), 1),
    }


def calibrate_perplexity(values_by_lang: Mapping[str, Sequence[float]], k: float = DEFAULT_K,
                         min_docs: int = MIN_DOCS) -> dict[str, Any]:
    """The ``perplexity`` section of a thresholds file: rule, k and per-language values."""
    langs = {}
    for lang, values in sorted(values_by_lang.items()):
        clean = [x for x in values if x is not None and x > 0]
        if len(clean) >= min_docs:
            langs[lang] = language_thresholds(clean, k)
    return {"rule": RULE, "k": k, "languages": langs}


def bucket(ppl: float, edges: Mapping[str, float]) -> str:
    if ppl < edges["head"]:
        return "head"
    if ppl < edges["tail"]:
        return "middle"
    return "tail"


def load_thresholds(path: str | Path) -> dict[str, dict[str, float]]:
    """Per-language thresholds from a YAML file: our own file, or a calibrate output whose
    ``perplexity`` section has the same shape."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"perplexity thresholds file not found: {p}")
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if "perplexity" in data and isinstance(data["perplexity"], dict):
        data = data["perplexity"]
    langs = data.get("languages") or {}
    out: dict[str, dict[str, float]] = {}
    for lang, t in langs.items():
        missing = {"head", "tail", "cutoff"} - set(t or {})
        if missing:
            raise ValueError(f"{p}: perplexity thresholds for {lang!r} lack {sorted(missing)}")
        out[str(lang)] = {k: float(t[k]) for k in ("head", "tail", "cutoff")}
    return out


def default_thresholds_path() -> Path:
    """The committed record of what the current recipe's build computes (``--thresholds``)."""
    return Path(__file__).resolve().parent / "assets" / "perplexity_thresholds.yaml"


# Beside a built model set (filters/lm_default_models.py): the thresholds computed for those models.
MODEL_THRESHOLDS = "perplexity_thresholds.yaml"


def thresholds_recipe(path: str | Path) -> str | None:
    """The model recipe a thresholds file says it was computed for; None when it says none (a
    ``curate calibrate`` output: taken as given)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if isinstance(data.get("perplexity"), dict):
        data = data["perplexity"]
    recipe = data.get("recipe")
    return str(recipe) if recipe else None


def check_recipe(thresholds: Path, model_dir: Path) -> None:
    """Refuse thresholds computed for another model recipe than ``model_dir``'s manifest records."""
    from filters.lm_model_set import manifest_recipe

    want = thresholds_recipe(thresholds)
    have = manifest_recipe(model_dir)
    if want is not None and want != have:
        raise ValueError(f"perplexity thresholds {thresholds} are for model recipe {want}, the models in {model_dir} "
                         f"are recipe {have or 'unknown (no manifest.json)'}: rebuild the models "
                         "(python -m filters.lm_default_models) or set perplexity.thresholds_path to thresholds "
                         "for these models")


def thresholds_for_models(model_dir: Path) -> Path | None:
    """The default thresholds of a model set: the file beside it; else the committed record when it
    records the same recipe as the set's manifest (a set built before the build wrote the file);
    else None (CCNet's or ``curate train-lm`` models: no bucket, no rejection)."""
    from filters.lm_model_set import manifest_recipe

    beside = model_dir / MODEL_THRESHOLDS
    if beside.is_file():
        return beside
    recipe = manifest_recipe(model_dir)
    committed = default_thresholds_path()
    return committed if recipe is not None and thresholds_recipe(committed) == recipe else None
