"""Names, code aliases and writing systems of the 29 Marco-LLM languages.

Bitext corpora name their languages in many ways (``fra``, ``zsm_Latn``, ``cmn_Hans``, ``fr``);
everything downstream uses ISO 639-1. Names are the English names Marco's Table 13 templates
put in ``<src_lang>``/``<tgt_lang>``. Scripts are Unicode script families used by the
script-consistency rule (a Japanese sentence is Han + kana, a Korean one Hangul + some Han).
"""

from __future__ import annotations

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "zh": "Chinese", "ar": "Arabic", "de": "German", "es": "Spanish", "fr": "French",
    "ko": "Korean", "ja": "Japanese", "pt": "Portuguese", "tr": "Turkish", "bn": "Bengali", "he": "Hebrew",
    "id": "Indonesian", "it": "Italian", "ms": "Malay", "nl": "Dutch", "pl": "Polish", "ru": "Russian",
    "th": "Thai", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "cs": "Czech", "el": "Greek",
    "hu": "Hungarian", "kk": "Kazakh", "ro": "Romanian", "az": "Azerbaijani", "ne": "Nepali",
}

# ISO 639-3 / macro-language / FLORES-style codes seen in OPUS, Tatoeba, FLORES-200 and NTREX.
_ALIASES: dict[str, str] = {
    "eng": "en", "zho": "zh", "cmn": "zh", "chi": "zh", "ara": "ar", "arb": "ar", "deu": "de", "ger": "de",
    "spa": "es", "fra": "fr", "fre": "fr", "kor": "ko", "jpn": "ja", "por": "pt", "tur": "tr", "ben": "bn",
    "heb": "he", "ind": "id", "ita": "it", "msa": "ms", "zsm": "ms", "may": "ms", "nld": "nl", "dut": "nl",
    "pol": "pl", "rus": "ru", "tha": "th", "ukr": "uk", "urd": "ur", "vie": "vi", "ces": "cs", "cze": "cs",
    "ell": "el", "gre": "el", "hun": "hu", "kaz": "kk", "ron": "ro", "rum": "ro", "aze": "az", "azj": "az",
    "nep": "ne", "npi": "ne", "iw": "he", "in": "id",
}

# Scripts whose letters count as "in script" for each language (see script_of()).
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **{lang: frozenset({"Latin"}) for lang in
       ("en", "de", "es", "fr", "pt", "tr", "id", "it", "ms", "nl", "pl", "vi", "cs", "hu", "ro", "az")},
    "zh": frozenset({"Han"}),
    "ja": frozenset({"Han", "Hiragana", "Katakana"}),
    "ko": frozenset({"Hangul", "Han"}),
    "ar": frozenset({"Arabic"}), "ur": frozenset({"Arabic"}),
    "bn": frozenset({"Bengali"}), "he": frozenset({"Hebrew"}), "th": frozenset({"Thai"}),
    "ru": frozenset({"Cyrillic"}), "uk": frozenset({"Cyrillic"}), "kk": frozenset({"Cyrillic"}),
    "el": frozenset({"Greek"}), "ne": frozenset({"Devanagari"}),
}

# Languages whose length is compared in UTF-8 bytes: one CJK character carries about a word.
BYTE_LENGTH_LANGUAGES = frozenset({"zh", "ja", "ko"})

# (first code point, last code point, script); letters outside every range are "Other".
_SCRIPT_RANGES: list[tuple[int, int, str]] = [
    (0x0041, 0x024F, "Latin"), (0x0250, 0x02AF, "Latin"), (0x1E00, 0x1EFF, "Latin"),
    (0x0370, 0x03FF, "Greek"), (0x1F00, 0x1FFF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0590, 0x05FF, "Hebrew"), (0xFB1D, 0xFB4F, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"), (0x0750, 0x077F, "Arabic"), (0x08A0, 0x08FF, "Arabic"),
    (0xFB50, 0xFDFF, "Arabic"), (0xFE70, 0xFEFF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"), (0x0980, 0x09FF, "Bengali"), (0x0E00, 0x0E7F, "Thai"),
    (0x1100, 0x11FF, "Hangul"), (0x3130, 0x318F, "Hangul"), (0xAC00, 0xD7AF, "Hangul"),
    (0x3040, 0x309F, "Hiragana"), (0x30A0, 0x30FF, "Katakana"), (0x31F0, 0x31FF, "Katakana"),
    (0xFF66, 0xFF9F, "Katakana"),
    (0x2E80, 0x2FDF, "Han"), (0x3005, 0x3007, "Han"), (0x3400, 0x4DBF, "Han"), (0x4E00, 0x9FFF, "Han"),
    (0xF900, 0xFAFF, "Han"), (0x20000, 0x3134F, "Han"),
    (0xFF21, 0xFF5A, "Latin"),
]


def normalise_code(code: str) -> str:
    """``fra`` / ``zsm_Latn`` / ``cmn_Hans`` / ``pt-BR`` / ``FR`` -> ISO 639-1 (unknown codes lower-cased)."""
    base = code.strip().replace("-", "_").split("_", 1)[0].lower()
    if base in LANGUAGE_NAMES:
        return base
    return _ALIASES.get(base, base)


def language_name(code: str) -> str:
    """English name for a template; unknown codes fail loudly rather than render a bare code."""
    iso = normalise_code(code)
    try:
        return LANGUAGE_NAMES[iso]
    except KeyError:
        raise KeyError(f"no language name for {code!r} (known: {', '.join(sorted(LANGUAGE_NAMES))})") from None


def script_of(ch: str) -> str:
    """Script family of one letter (a small range table; fast and enough for 29 languages)."""
    cp = ord(ch)
    for lo, hi, name in _SCRIPT_RANGES:
        if lo <= cp <= hi:
            return name
    return "Other"
