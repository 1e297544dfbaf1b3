"""Per-language language-ID thresholds derived from a language's own score distribution.

A single global ``min_score`` punishes languages that fastText is naturally less sure about
(Malay, Nepali, Urdu score lower than English on clean text), so FineWeb-2 sets one
threshold per language from the scores of the documents identified as that language:
``max(0.3, min(0.9, median - std))``. ``curate calibrate`` (issue 3 part B) calls
:func:`langid_threshold` on each language's scores and writes the result into the
``langid.min_scores`` map.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

# FineWeb-2 (2025), "language-specific filtering thresholds": clamp bounds of the rule.
FINEWEB2_FLOOR = 0.3
FINEWEB2_CEILING = 0.9
DEFAULT_THRESHOLDS = Path(__file__).parent / "assets" / "thresholds.yaml"  # shipped, see README


def fineweb2_threshold(scores: Sequence[float], floor: float = FINEWEB2_FLOOR,
                       ceiling: float = FINEWEB2_CEILING) -> float:
    """FineWeb-2's rule: ``max(floor, min(ceiling, median - population std))``.

    An empty sample gives the floor (nothing is known, so reject only the least sure).
    """
    values = [float(s) for s in scores]
    if not values:
        return floor
    for v in values:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"language-ID scores must lie in [0, 1], got {v!r}")
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return max(floor, min(ceiling, statistics.median(values) - spread))


def langid_threshold(scores: Sequence[float]) -> float:
    """The project's rule for a language's ``min_score``: FineWeb-2's, unchanged.

    We keep FineWeb-2's rule because it is robust on small samples (median, not a low
    percentile) and its clamp stops a noisy language from falling below 0.3. The rounding to
    three decimals only makes the YAML readable and stable across runs.
    """
    return round(fineweb2_threshold(scores), 3)


def load_min_scores(path: str | Path | None = None) -> dict[str, float]:
    """The ``langid.min_scores`` map of a thresholds file (``curate calibrate`` output).

    None reads the shipped ``filters/assets/thresholds.yaml``. A file without the section gives
    an empty map (every language then uses the global ``min_score``); a bad value is an error
    that names the file and language.
    """
    from curation import yamlio

    p = Path(path) if path else DEFAULT_THRESHOLDS
    if not p.is_file():
        raise FileNotFoundError(f"language-ID thresholds file not found: {p}")
    data = yamlio.safe_load(p.read_text(encoding="utf-8")) or {}
    section = (data.get("langid") or {}).get("min_scores") or {} if isinstance(data, dict) else {}
    out: dict[str, float] = {}
    for lang, value in section.items():
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{p}: langid.min_scores.{lang} must be a number in [0, 1], got {value!r}")
        out[str(lang)] = float(value)
    return out
