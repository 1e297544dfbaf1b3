"""Blocklisted-word hits per language (lists under ``filters/assets/blockwords``, see SOURCES.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ASSET_DIR = Path(__file__).parent / "assets" / "blockwords"
# Scripts where words are not (or not only) delimited by spaces: entries match as substrings.
SUBSTRING_LANGS = frozenset({"zh", "ja", "ko", "th"})


@dataclass(frozen=True)
class Blocklist:
    single: frozenset[str]
    pattern: re.Pattern[str] | None  # phrases (spaced languages) or substrings (zh/ja/ko/th)


def _entries(lang: str) -> list[str]:
    path = ASSET_DIR / f"{lang}.txt"
    if not path.is_file():
        return []
    return [w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines()
            if w.strip() and not w.startswith("#")]


@lru_cache(maxsize=64)
def blocklist(lang: str | None) -> Blocklist:
    entries = _entries(lang) if lang else []
    if lang in SUBSTRING_LANGS:
        subs = sorted((e for e in entries if len(e) > 1), key=len, reverse=True)
        return Blocklist(frozenset(), re.compile("|".join(map(re.escape, subs))) if subs else None)
    single = frozenset(e for e in entries if " " not in e)
    phrases = sorted((e for e in entries if " " in e), key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b") if phrases else None
    return Blocklist(single, pattern)


def blockword_hits(text: str, lower_words: Sequence[str], lang: str | None) -> int:
    """How many blocklisted words or phrases ``text`` contains (0 for a language without a list)."""
    bl = blocklist(lang)
    hits = sum(1 for w in lower_words if w in bl.single) if bl.single else 0
    if bl.pattern is not None:
        hits += len(bl.pattern.findall(text.lower()))
    return hits
