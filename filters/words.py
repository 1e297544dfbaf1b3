"""Word segmentation for the 29 languages, cheap enough to run on every document.

Definitions (documented in the README, section "Quality filters"):
- ``zh``: jieba's dictionary + HMM segmentation through ``rjieba`` (Rust, ~0.8 Mchar/s here).
- ``th``: maximal matching on PyThaiNLP's Thai word list through ``nlpo3`` (Rust, ~1.3 Mchar/s);
  PyThaiNLP's own ``newmm`` gives the same words at a sixth of the speed.
- ``ja``: script runs. A run of kanji, of hiragana, of katakana or of Latin letters/digits is
  one word (人 / は / 自由 / であり / コンピュータ). Kanji runs are mostly content words and
  hiragana runs particles and endings, which is close to bunsetsu structure; MeCab (fugashi +
  unidic-lite) gives real morphemes but costs ~7 ms per 1,000 characters here, four times the
  whole signal budget. The calibrated Japanese thresholds are measured in these units.
- every other language: runs of letters, digits and combining marks are words (so Devanagari/
  Bengali/Thai vowel signs stay inside their word, unlike Python's ``\\w``); Han ideographs and
  hiragana met outside zh/ja are one word per character, a katakana run is one word.
Underscores separate words. Punctuation, symbols and spaces are never words.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache


def _mark_ranges() -> str:
    """A regex class body with every BMP combining mark (Mn, Mc, Me): re's ``\\w`` leaves them out.

    Astral marks (Brahmi, Kharoshthi, musical notation) belong to none of our 29 languages.
    """
    parts: list[str] = []
    start = prev = -1
    for cp in range(0x10000):  # BMP only: a set with astral members compiles to slow range checks
        c = chr(cp)
        if unicodedata.category(c) in ("Mn", "Mc", "Me") and not c.isalnum():  # disjoint from \w
            if cp == prev + 1:
                prev = cp
                continue
            if start >= 0:
                parts.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = prev = cp
    if start >= 0:
        parts.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
    return "".join(parts)


_MARKS = _mark_ranges()
# Han ideographs (URO, ext. A, compatibility, ext. B-G) and the two kana syllabaries.
HAN_BMP = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_ASTRAL = "\U00020000-\U0003134f"
HAN = HAN_BMP + HAN_ASTRAL
HIRAGANA = "\u3041-\u309f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_CJK = HAN + HIRAGANA + KATAKANA
# A run of letters/digits (not CJK) and combining marks; the two classes are disjoint, so the
# nested repetition scans in tight loops and never backtracks.
_RUN = rf"(?:[^\W_{_CJK}]+|[{_MARKS}]+)+"
# One word: a Han or hiragana character, a katakana run, or a run of other letters/digits/marks.
_GENERIC = re.compile(
    rf"[{HAN}{HIRAGANA}]|[{KATAKANA}]+|{_RUN}"
)
# Japanese: a run of one script is a word: kanji compounds (自由, 権利), hiragana runs (function
# morphemes and inflections: は, であり), katakana runs (loanwords), Latin/digit runs.
_JA = re.compile(
    rf"[{HAN}\u3005\u3006]+|[{HIRAGANA}]+|[{KATAKANA}]+|{_RUN}"
)
_IS_WORD = re.compile(rf"[^\W_]|[{_MARKS}]")
_THAI_WORD = re.compile("[\u0e01-\u0e3a\u0e40-\u0e4e]+")  # Thai letters, vowels, tone marks


# Most pages have neither combining marks nor CJK: one simple class is ~3x faster for them.
_NEEDS_FULL = re.compile(f"[{_MARKS}{HAN_BMP}{HIRAGANA}{KATAKANA}]|[{HAN_ASTRAL}]")
_SIMPLE = re.compile(r"[^\W_]+")


def _generic(text: str) -> list[str]:
    if _NEEDS_FULL.search(text) is None:
        return _SIMPLE.findall(text)
    return _GENERIC.findall(text)


@lru_cache(maxsize=1)
def _zh() -> Callable[[str], list[str]]:
    import rjieba

    def cut(text: str) -> list[str]:
        return [w for w in rjieba.cut(text) if _IS_WORD.search(w)]

    return cut


def thai_dictionary_path() -> str:
    """PyThaiNLP's Thai word list (CC0/Apache-2.0, ~62k words), used by the nlpo3 segmenter."""
    import pythainlp

    return os.path.join(os.path.dirname(pythainlp.__file__), "corpus", "words_th.txt")


@lru_cache(maxsize=1)
def _th() -> Callable[[str], list[str]]:
    import nlpo3

    nlpo3.load_dict(thai_dictionary_path(), "curation_th")

    def cut(text: str) -> list[str]:
        out: list[str] = []
        for w in nlpo3.segment(text, "curation_th"):
            if _THAI_WORD.fullmatch(w):
                out.append(w)
            elif _IS_WORD.search(w):
                # nlpo3 keeps non-Thai runs whole; split them like every other language.
                out.extend(_generic(w))
        return out

    return cut


def segmenter(lang: str | None) -> Callable[[str], list[str]]:
    """The word function for ``lang``; loading a dictionary happens once per process."""
    if lang == "zh":
        return _zh()
    if lang == "th":
        return _th()
    if lang == "ja":
        return _JA.findall
    return _generic


def words(text: str, lang: str | None) -> list[str]:
    """The words of ``text`` in language ``lang`` (ISO 639-1; None: the generic definition)."""
    if not text:
        return []
    try:
        return segmenter(lang)(text)
    except UnicodeEncodeError:  # lone surrogates: the Rust segmenters take valid UTF-8 only
        return segmenter(lang)(text.encode("utf-8", "replace").decode("utf-8"))
