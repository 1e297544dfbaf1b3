"""Which scripts a language's default model is trained on, and stripping the others from training text.

A model that saw stray Latin names in its Thai or Chinese training text cuts any Latin text
(an English cookie banner, a German page mislabelled as Chinese) into single letters that it
predicts cheaply, so foreign text gets a *lower* per-token perplexity than the language's own.
The default models therefore learn only their own script(s): letters of other scripts are
removed from the training lines (digits, punctuation and symbols stay), and SentencePiece's
byte fallback turns any letter it never saw into UTF-8 byte pieces that KenLM has never seen
either, so each byte costs the ``<unk>`` probability instead of a whole foreign run costing one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Script of a letter = first word of its Unicode name (after CCNet normalisation: Hangul is jamo,
# accents are stripped). IDEOGRAPHIC covers 〇 and 々.
CJK = frozenset({"CJK", "IDEOGRAPHIC"})
OWN_SCRIPTS: dict[str, frozenset[str]] = {
    "zh": CJK,
    "ja": CJK | {"HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"},
    "ko": frozenset({"HANGUL"}),
    "ar": frozenset({"ARABIC"}), "ur": frozenset({"ARABIC"}),
    "he": frozenset({"HEBREW"}),
    "ru": frozenset({"CYRILLIC"}), "uk": frozenset({"CYRILLIC"}), "kk": frozenset({"CYRILLIC"}),
    "th": frozenset({"THAI"}), "bn": frozenset({"BENGALI"}), "ne": frozenset({"DEVANAGARI"}),
    "el": frozenset({"GREEK"}),
}
LATIN = frozenset({"LATIN"})
_SPACES = re.compile(r"\s{2,}")


def own_scripts(lang: str) -> frozenset[str]:
    """The scripts of ``lang``'s letters (Latin for the 16 Latin-script languages)."""
    return OWN_SCRIPTS.get(lang, LATIN)


@lru_cache(maxsize=65536)
def letter_script(c: str) -> str | None:
    """Script of a letter or mark (first word of its name, FULLWIDTH/HALFWIDTH skipped); None otherwise."""
    if unicodedata.category(c)[0] not in "LM":
        return None
    name = unicodedata.name(c, "")
    words = name.split()
    if words and words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1:
        return words[1]
    return words[0] if words else "UNKNOWN"


def strip_foreign(line: str, scripts: frozenset[str]) -> str:
    """``line`` without letters of scripts outside ``scripts`` (runs of spaces left behind collapse)."""
    if line.isascii() and "LATIN" in scripts:
        return line
    out = "".join(c for c in line if (s := letter_script(c)) is None or s in scripts)
    return _SPACES.sub(" ", out).strip()
