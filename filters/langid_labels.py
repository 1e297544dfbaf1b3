"""fastText language-ID labels -> the project's language codes.

lid.176 (``.ftz`` and ``.bin``) labels most languages with ISO 639-1 (``__label__ms``) and
the rest with ISO 639-3 (``__label__pnb``). GlotLID and the FLORES/NLLB family label with
ISO 639-3 plus script (``__label__zsm_Latn``), often naming an individual language inside a
macrolanguage (``zsm`` = Standard Malay in ``msa``; ``npi`` = Nepali in ``nep``). Every
label becomes ISO 639-1 where one exists for our 29 languages and their usual confusions;
any other code passes through unchanged, so ``language_unsupported`` can name it.
"""

from __future__ import annotations

# ISO 639-3 (individual and macrolanguage codes) and ISO 639-2/B -> ISO 639-1, for the 29
# Marco-LLM languages and the languages the second stage separates them from (hi, mr, pa).
# Source: ISO 639-3 code tables (SIL), macrolanguage mappings; FLORES-200 / GlotLID labels.
ISO639_3_TO_1: dict[str, str] = {
    "eng": "en",
    "zho": "zh", "chi": "zh", "cmn": "zh",
    "ara": "ar", "arb": "ar",
    "deu": "de", "ger": "de",
    "spa": "es",
    "fra": "fr", "fre": "fr",
    "kor": "ko",
    "jpn": "ja",
    "por": "pt",
    "tur": "tr",
    "ben": "bn",
    "heb": "he",
    "ind": "id",
    "ita": "it",
    "msa": "ms", "may": "ms", "zsm": "ms",
    "nld": "nl", "dut": "nl",
    "pol": "pl",
    "rus": "ru",
    "tha": "th",
    "ukr": "uk",
    "urd": "ur",
    "vie": "vi",
    "ces": "cs", "cze": "cs",
    "ell": "el", "gre": "el",
    "hun": "hu",
    "kaz": "kk",
    "ron": "ro", "rum": "ro",
    "aze": "az", "azj": "az",
    "nep": "ne", "npi": "ne",
    "hin": "hi",
    "mar": "mr",
    "pan": "pa",
}

# Two-letter codes that older tools still emit for languages that changed code.
DEPRECATED_639_1 = {"iw": "he", "in": "id"}

LABEL_PREFIX = "__label__"


def label_to_code(label: str) -> str:
    """``__label__zsm_Latn`` -> ``ms``; ``__label__ne`` -> ``ne``; ``__label__pnb`` -> ``pnb``.

    The script suffix is dropped (our codes do not carry it); unknown codes are returned
    lower-cased without prefix or script so a caller can still report them.
    """
    code = label.removeprefix(LABEL_PREFIX).strip()
    for sep in ("_", "-"):
        code = code.split(sep, 1)[0]
    code = code.lower()
    if not code:
        raise ValueError(f"not a language label: {label!r}")
    if len(code) == 2:
        return DEPRECATED_639_1.get(code, code)
    return ISO639_3_TO_1.get(code, code)
