"""CCNet's text normalisation, applied before SentencePiece and KenLM.

Models trained by CCNet (and by ``curate train-lm``) saw text normalised this way, so scoring
must normalise identically or perplexities are meaningless. Order and rules follow CCNet's
``text_normalizer.normalize`` defaults (accent=True, case=True, numbers=True, punct=1):
strip, lower-case, strip accents (NFD, drop combining marks), every digit to ``0``, unicode
punctuation to ASCII, control characters (C0 and 127-159) removed.

Like CCNet, accent stripping leaves the text in NFD (Hangul becomes jamo) and drops every
nonspacing mark (also Thai and Indic vowel signs); we keep that as the default (``"ccnet"``) on
purpose, so CCNet's published models score our text exactly as they scored theirs.

A second mode, ``"keep_marks"``, is for our own models of scripts whose nonspacing marks are
letters (Bengali/Devanagari vowel signs and virama, Thai vowels and tones): the same rules
except that accents are not stripped and the text is NFC-composed (Hangul stays in syllables).
A model records its mode next to its files (``filters.lm_model.normalization_path``); a model
without that record is CCNet's mode, so CCNet's and older models load and score as before.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode punctuation -> ASCII, the table CCNet's models were trained with (its punct=1 mode).
PUNCT_TO_ASCII: dict[str, str] = {
    "\uff0c": ",", "\u3002": ".", "\u3001": ",",            # ， 。 、
    "\u201e": '"', "\u201d": '"', "\u201c": '"',             # „ ” “
    "\u00ab": '"', "\u00bb": '"',                            # « »
    "\uff11": '"',                                          # １ (digits become 0 first, so never hit)
    "\u300d": '"', "\u300c": '"', "\u300a": '"', "\u300b": '"',  # 」 「 《 》
    "\u00b4": "'", "\u2019": "'",                            # ´ ’
    "\u2236": ":", "\uff1a": ":", "\uff1f": "?", "\uff01": "!",  # ∶ ： ？ ！
    "\uff08": "(", "\uff09": ")", "\uff1b": ";",             # （ ） ；
    "\u2013": "-", "\u2014": " - ", "\u2501": "-", "\u25ba": "-",  # – — ━ ►
    "\uff0e": ". ", "\uff5e": "~", "\u2026": "...",          # ． ～ …
    "\u3008": "<", "\u3009": ">", "\u3010": "[", "\u3011": "]",  # 〈 〉 【 】
    "\uff05": "%",                                          # ％
}
_PUNCT_TABLE = str.maketrans(PUNCT_TO_ASCII)
_DIGIT = re.compile(r"\d")  # unicode digits too (Arabic-Indic, Devanagari, fullwidth)
_CONTROL = re.compile("[" + "".join(map(chr, [*range(0, 32), *range(127, 160)])) + "]")


def strip_accents(text: str) -> str:
    """NFD-decompose and drop nonspacing marks (category Mn). Every Mn code point is at or
    above U+0300, so ASCII text skips the per-character test and lower ones skip the lookup."""
    nfd = unicodedata.normalize("NFD", text)
    if nfd.isascii():
        return nfd
    return "".join(c for c in nfd if c < "\u0300" or unicodedata.category(c) != "Mn")


NORMALIZATIONS = ("ccnet", "keep_marks")


def normalize_line(line: str, mode: str = "ccnet") -> str:
    """CCNet normalisation of one line (newlines are control characters: split lines first).

    ``mode="keep_marks"``: NFC instead of accent stripping (see the module docstring)."""
    line = line.strip()
    if not line:
        return line
    if mode == "ccnet":
        line = strip_accents(line.lower())
    elif mode == "keep_marks":
        line = unicodedata.normalize("NFC", line.lower())
    else:
        raise ValueError(f"unknown normalisation {mode!r}; expected one of {NORMALIZATIONS}")
    line = _DIGIT.sub("0", line)
    line = line.translate(_PUNCT_TABLE)
    return _CONTROL.sub("", line)
