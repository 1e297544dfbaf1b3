"""Signals of one sentence or one sentence pair: plain functions, each testable on a string.

The pair rules (``filters/bitext_rules.py``) compare these with thresholds from config. Marco
§3.1.2 names the special-symbol, stop-word, digit and repeated-word ratios; the rest are the
usual bitext-cleaning checks (OpusFilter, Bicleaner hard rules).
"""

from __future__ import annotations

import re
import unicodedata

from filters.language_names import BYTE_LENGTH_LANGUAGES, LANGUAGE_SCRIPTS, script_of
from filters.stopwords import stopwords
from filters.words import words

# Punctuation that is code rather than prose; with Unicode symbols (S*) these are "special".
_SPECIAL_ASCII = frozenset("#*@&_\\{}[]<>|~^`=+")
# Sentence-final marks: Latin, CJK full-width, Arabic/Urdu, Devanagari/Bengali danda, ellipsis.
_TERMINAL = frozenset(".!?。！？؟۔।॥…:;")
# Closing quotes/brackets that may follow the final mark: 'He said "yes."'.
_CLOSERS = "\"'»”’」』)）]>›*"
# Languages whose sentences often end without a mark (Thai uses spaces, not full stops).
NO_TERMINAL_MARK = frozenset({"th"})
_URL = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]*[a-z]{2,}\b")
# Template/markup residue: {{x}}, {% x %}, ${x}, %s, %(name)s, {0}, <tag>, &nbsp;, [[x]], __X__.
_TEMPLATE = re.compile(
    r"\{\{|\}\}|\{%|%\}|\$\{|%[sd]\b|%\(\w+\)[sd]|\{\d+\}|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"
    r"|&(?:[a-z]+|#\d+);|\[\[|\]\]|\b__[A-Z_]+__\b"
)
# A number: digits of any script, with thousands/decimal separators between digits (no-break
# spaces too; a plain space separates two numbers: "September 11, 2001").
_NUMBER = re.compile(r"\d(?:[\d.,\u00a0\u202f\u066b\u066c\u06d4']*\d)?")


def length_units(text: str, lang: str) -> int:
    """Characters, or UTF-8 bytes for zh/ja/ko, where one character carries about a word."""
    return len(text.encode("utf-8")) if lang in BYTE_LENGTH_LANGUAGES else len(text)


def length_ratio(src: str, tgt: str, src_lang: str, tgt_lang: str) -> float:
    """Longer side / shorter side in length units (>= 1; inf when one side is empty)."""
    a, b = length_units(src, src_lang), length_units(tgt, tgt_lang)
    if min(a, b) == 0:
        return float("inf") if max(a, b) else 1.0
    return max(a, b) / min(a, b)


def _visible(text: str) -> list[str]:
    return [c for c in text if not c.isspace()]


def is_special(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] == "S" or ch in _SPECIAL_ASCII or (cat[0] == "C" and not ch.isspace())


def special_ratio(text: str) -> float:
    """Symbols, markup characters and control characters / visible characters."""
    chars = _visible(text)
    return sum(is_special(c) for c in chars) / len(chars) if chars else 0.0


def digit_ratio(text: str) -> float:
    """Decimal digits of any script / visible characters."""
    chars = _visible(text)
    return sum(c.isdecimal() for c in chars) / len(chars) if chars else 0.0


def numbers(text: str, lang: str | None = None) -> frozenset[str]:
    """The numbers of ``text`` as significant ASCII digits: separators and leading/trailing
    zeros removed, so 1,000.5 == 1.000,5 and 330,000 == 33 (万) == 3.3 (million).

    Thai years in the Buddhist era (2400-2700) also count as their Common Era year (- 543).
    """
    out = set()
    for m in _NUMBER.finditer(text):
        digits = "".join(str(unicodedata.decimal(c)) for c in m.group() if c.isdecimal())
        if lang == "th" and len(digits) == 4 and 2400 <= int(digits) <= 2700:
            out.add(str(int(digits) - 543).strip("0"))
        out.add(digits.strip("0") or "0")
    return frozenset(out)


def numbers_disagree(src: str, tgt: str, src_lang: str | None = None, tgt_lang: str | None = None) -> bool:
    """Each side has a number the other lacks.

    One-sided extras are fine: a month name becomes a number ("September 16" -> "9월 16일"),
    a number becomes a word. An altered number leaves one unmatched number on each side.
    """
    a, b = numbers(src, src_lang), numbers(tgt, tgt_lang)
    return bool(a - b) and bool(b - a)


def repeated_word_ratio(tokens: list[str]) -> float:
    """Words that repeat an earlier word / words (case-insensitive)."""
    if not tokens:
        return 0.0
    return 1.0 - len({t.lower() for t in tokens}) / len(tokens)


def stopword_ratio(tokens: list[str], lang: str) -> float:
    """Words in ``lang``'s stop-word list / words."""
    if not tokens:
        return 0.0
    stop = stopwords(lang)
    return sum(t.lower() in stop for t in tokens) / len(tokens)


def script_ratio(text: str, lang: str) -> float | None:
    """Letters in ``lang``'s script(s) / letters; None when there are no letters or no script known."""
    scripts = LANGUAGE_SCRIPTS.get(lang)
    letters = [c for c in text if c.isalpha()]
    if not scripts or not letters:
        return None
    return sum(script_of(c) in scripts for c in letters) / len(letters)


def has_url(text: str) -> bool:
    return _URL.search(text) is not None


def has_template_literal(text: str) -> bool:
    return _TEMPLATE.search(text) is not None


def ends_sentence(text: str) -> bool:
    """The text ends with a sentence-final mark (closing quotes/brackets after it allowed)."""
    stripped = text.rstrip().rstrip(_CLOSERS).rstrip()
    return bool(stripped) and stripped[-1] in _TERMINAL


def comparable(text: str) -> str:
    """Case-folded letters and digits only: what 'the same sentence' means for copy checks."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def is_identical(src: str, tgt: str) -> bool:
    a = comparable(src)
    return bool(a) and a == comparable(tgt)


def source_copied(src: str, tgt: str, min_chars: int = 10) -> bool:
    """The whole source (>= ``min_chars`` letters/digits) appears inside a longer target."""
    a, b = comparable(src), comparable(tgt)
    return len(a) >= min_chars and len(b) > len(a) and a in b


def word_list(text: str, lang: str) -> list[str]:
    """Words as the web quality filters count them (``filters.words``)."""
    return words(text, lang)
