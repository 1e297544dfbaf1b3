"""Bridge between the stats and the mixture planner (``curate mix``, issue 8).

``mix_counts`` turns the kept tokens per language into the planner's input (category,
language, tokens); ``utilisation`` reads ``OUT/mixture_plan.json`` back into Marco's Table 1
form (total tokens, used tokens, utilisation) next to what the stats counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from curation.config import HIGH_RESOURCE, LOW_RESOURCE

PLAN_FILE = "mixture_plan.json"  # curation/mixture.py writes it into the output directory
MIX_COUNTS = "mix_counts.parquet"


def mix_category(language: str) -> str | None:
    """The planner's web categories: English, Chinese, other high-resource, low-resource."""
    if language == "en":
        return "english"
    if language == "zh":
        return "chinese"
    if language in HIGH_RESOURCE:
        return "high_resource"
    if language in LOW_RESOURCE:
        return "low_resource"
    return None


def mix_counts(languages: pd.DataFrame) -> pd.DataFrame:
    """Kept model tokens per target language as ``category, language, tokens`` rows."""
    cols = ["category", "language", "tokens"]
    if languages.empty or languages["tokens_kept"].isna().all():
        return pd.DataFrame(columns=cols)
    df = languages.assign(category=[mix_category(x) for x in languages["language"]])
    df = df[df["category"].notna() & (df["tokens_kept"].fillna(0) > 0)]
    return df.rename(columns={"tokens_kept": "tokens"})[cols].astype({"tokens": "int64"}).reset_index(drop=True)


def load_plan(out: str | Path) -> dict[str, Any] | None:
    path = Path(out) / PLAN_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def utilisation(plan: dict[str, Any], languages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1: one row per source with total/used tokens and utilisation, plus kept tokens in stats."""
    table = pd.DataFrame(plan.get("utilisation") or [])
    if table.empty:
        return pd.DataFrame(columns=["source", "total_tokens", "used_tokens", "utilisation"])
    if languages is not None and not languages.empty:
        kept = languages.set_index("language")["tokens_kept"]
        table["tokens_kept_in_stats"] = [kept.get(s, pd.NA) for s in table["source"]]
    return table
