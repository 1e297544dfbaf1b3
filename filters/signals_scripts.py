"""Scripts of the 29 languages: which letters belong, and the script groups for calibration.

Latin letters are tolerated in every language (brand names, URLs, code); the foreign-script
signal counts letters that belong neither to the language's own script(s) nor to Latin, and
for Latin-script languages every non-Latin letter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from filters.words import HAN, HIRAGANA, KATAKANA

LATIN = ("A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0250-\u02af\u1e00-\u1eff"
         "\u2c60-\u2c7f\ua720-\ua7ff\uff21-\uff3a\uff41-\uff5a")
SCRIPT_RANGES = {
    "Latin": LATIN,
    "Cyrillic": "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Hebrew": "\u0590-\u05ff\ufb1d-\ufb4f",
    "Devanagari": "\u0900-\u097f\ua8e0-\ua8ff",
    "Bengali": "\u0980-\u09ff",
    "Thai": "\u0e00-\u0e7f",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af" + HAN,
    "Han": HAN + "\u3000-\u303f",
    "Japanese": HAN + HIRAGANA + KATAKANA,
}
SCRIPT_OF = {
    **{lang: "Latin" for lang in "en de es fr pt tr id it ms nl pl vi cs hu ro az".split()},
    **{lang: "Cyrillic" for lang in "ru uk kk".split()},
    "ar": "Arabic", "ur": "Arabic", "he": "Hebrew", "el": "Greek", "ne": "Devanagari", "bn": "Bengali",
    "th": "Thai", "ko": "Hangul", "zh": "Han", "ja": "Japanese",
}
# Calibration pools languages by these groups when one has too few documents (CJK together;
# Devanagari and Bengali together, as Brahmic scripts with the same line and word structure).
SCRIPT_GROUP = {"Latin": "Latin", "Cyrillic": "Cyrillic", "Greek": "Greek", "Arabic": "Arabic",
                "Hebrew": "Hebrew", "Devanagari": "Brahmic", "Bengali": "Brahmic", "Thai": "Thai",
                "Hangul": "Hangul", "Han": "CJK", "Japanese": "CJK"}

def script_group(lang: str) -> str:
    return SCRIPT_GROUP.get(SCRIPT_OF.get(lang, "Latin"), "Latin")


@lru_cache(maxsize=64)
def _foreign(lang: str | None) -> re.Pattern[str] | None:
    script = SCRIPT_OF.get(lang or "")
    if script is None:
        return None
    allowed = SCRIPT_RANGES[script] + (LATIN if script != "Latin" else "")
    return re.compile(rf"[^\W\d_{allowed}]")


def foreign_letter_count(text: str, lang: str | None) -> int:
    """Letters outside the language's script(s) and Latin (0 for a language we do not know)."""
    pattern = _foreign(lang)
    return len(pattern.findall(text)) if pattern is not None else 0
