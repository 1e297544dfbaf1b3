"""Heuristic quality signals: plain functions of one document's text and language.

Definitions follow Gopher (Rae et al. 2021, appendix A) and FineWeb where they exist; words
come from ``filters.words`` (so zh/ja/th are segmented, not split on spaces), lines are the
non-empty stripped lines of the text, paragraphs are blocks separated by a blank line.
``compute_signals`` returns every signal; the quality stage stores them as ``q_<name>`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from filters.signals_blockwords import blockword_hits
from filters.signals_scripts import foreign_letter_count
from filters.stopwords import stopwords
from filters.words import words

_DIGIT = re.compile(r"\d")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# UTF-8 read as cp1252/latin-1: a lead byte (Â..ß shown as Latin-1) then a continuation byte shown
# as cp1252 punctuation or Latin-1 \xa0-\xbf ("Ã©", "â€™", "Ð°"); never produced by real text.
_MOJIBAKE = re.compile("[\u00c2-\u00df][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
                       "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
                       "\u0161\u203a\u0153\u017e\u0178]|\u00e2\u20ac|\u00ef\u00bb\u00bf")
# Terminal punctuation of the scripts we curate: Latin/Cyrillic/Greek (. ! ? ; and Greek ;),
# CJK fullwidth (。！？．), Devanagari/Bengali danda (। ॥), Arabic/Urdu (؟ ۔ ؛), Armenian/
# Ethiopic for safety, Thai ฯ, plus closing quotes/brackets after a full stop.
TERMINAL = frozenset(".!?;…。！？．｡।॥۔؟؛։።፧ฯ\"'”’»)]}」』）】")
BULLETS = frozenset("•·‣▪●◦○■□–—-*>➢➤✓✔►▸♦◆")
# FineWeb's short line: fewer than 30 characters.
SHORT_LINE_CHARS = 30
DUP_NGRAM_SIZES = (5, 6, 7, 8, 9, 10)
TOP_NGRAM_SIZES = (2, 3, 4)

SIGNALS = (
    ["chars", "words", "mean_word_len", "special_ratio", "digit_ratio", "stopword_ratio",
     "short_line_ratio", "no_terminal_punct_ratio", "max_dup_line_run",
     "dup_line_frac", "dup_line_char_frac", "dup_para_frac", "dup_para_char_frac"]
    + [f"top_{n}gram_frac" for n in TOP_NGRAM_SIZES]
    + [f"dup_{n}gram_frac" for n in DUP_NGRAM_SIZES]
    + ["blockword_ratio", "replacement_ratio", "mojibake_ratio", "control_ratio", "foreign_script_ratio",
       "bullet_line_ratio", "ellipsis_line_ratio"]
)


def lines_of(text: str) -> list[str]:
    return [s for s in (x.strip() for x in text.split("\n")) if s]


def paragraphs_of(text: str) -> list[str]:
    return [s for s in (x.strip() for x in re.split(r"\n\s*\n", text)) if s]


def special_ratio(text: str, word_chars: int) -> float:
    """Characters that are neither in a word (letters, digits, marks) nor whitespace."""
    if not text:
        return 0.0
    spaces = len(text) - len("".join(text.split()))
    return max(0, len(text) - word_chars - spaces) / len(text)


def digit_ratio(text: str) -> float:
    return len(_DIGIT.findall(text)) / len(text) if text else 0.0


def stopword_ratio(lower_words: Sequence[str], lang: str | None) -> float:
    sw = stopwords(lang) if lang else frozenset()
    return sum(map(sw.__contains__, lower_words)) / len(lower_words) if lower_words else 0.0


def short_line_ratio(lines: Sequence[str]) -> float:
    return sum(1 for s in lines if len(s) < SHORT_LINE_CHARS) / len(lines) if lines else 0.0


def no_terminal_punct_ratio(lines: Sequence[str]) -> float:
    return sum(1 for s in lines if s[-1] not in TERMINAL) / len(lines) if lines else 0.0


def bullet_line_ratio(lines: Sequence[str]) -> float:
    return sum(1 for s in lines if s[0] in BULLETS) / len(lines) if lines else 0.0


def ellipsis_line_ratio(lines: Sequence[str]) -> float:
    return sum(1 for s in lines if s.endswith(("...", "…"))) / len(lines) if lines else 0.0


def max_dup_line_run(lines: Sequence[str]) -> int:
    """Longest run of consecutive identical lines (1 when no line repeats its predecessor)."""
    best = run = 1 if lines else 0
    for prev, cur in zip(lines, lines[1:]):
        run = run + 1 if cur == prev else 1
        best = max(best, run)
    return best


def duplicate_fractions(elements: Sequence[str]) -> tuple[float, float]:
    """Gopher: share of elements (and of their characters) that repeat an earlier element."""
    if not elements:
        return 0.0, 0.0
    seen: set[str] = set()
    dup = dup_chars = total_chars = 0
    for e in elements:
        total_chars += len(e)
        if e in seen:
            dup += 1
            dup_chars += len(e)
        else:
            seen.add(e)
    return dup / len(elements), dup_chars / total_chars if total_chars else 0.0


_P = np.uint64(1_000_003)


def _sorted_runs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort order of the hashes, and the start and length of each run of equal hashes."""
    order = np.argsort(h)
    sh = h[order]
    starts = np.concatenate(([0], np.flatnonzero(sh[1:] != sh[:-1]) + 1))
    lengths = np.diff(np.append(starts, len(sh)))
    return order, starts, lengths


def ngram_fractions(lower_words: Sequence[str]) -> dict[str, float]:
    """Gopher's top 2/3/4-gram and duplicated 5..10-gram character fractions.

    top_n: characters of the most frequent n-gram times its count, over all word characters.
    dup_n: characters of words covered by any n-gram that occurs more than once (each word once).
    N-grams are compared by a 64-bit polynomial hash of the words' hashes, built from n-1 to n.
    """
    out = {f"top_{n}gram_frac": 0.0 for n in TOP_NGRAM_SIZES}
    out.update({f"dup_{n}gram_frac": 0.0 for n in DUP_NGRAM_SIZES})
    n_words = len(lower_words)
    if n_words < 2:
        return out
    # str hashes are cached on the string objects: a C-level map, no per-word Python frame.
    ids = np.fromiter(map(hash, lower_words), dtype=np.int64, count=n_words).view(np.uint64)
    lens = np.fromiter(map(len, lower_words), dtype=np.int64, count=n_words)
    total = float(lens.sum())
    if total == 0:
        return out
    csum = np.concatenate(([0], np.cumsum(lens)))
    h = ids
    no_dups = False
    with np.errstate(over="ignore"):
        for n in range(2, max(DUP_NGRAM_SIZES) + 1):
            if n > n_words or no_dups:
                break
            h = h[:-1] * _P + ids[n - 1:]  # hash of the n-gram starting at each position
            if n in TOP_NGRAM_SIZES:
                order, starts, lengths = _sorted_runs(h)
                top = int(lengths.max())
                if top > 1:
                    # Ties go to the n-gram seen first, as Counter.most_common (Gopher/DataTrove) does.
                    pos = int(np.minimum.reduceat(order, starts)[lengths == top].min())
                    out[f"top_{n}gram_frac"] = float(top * (csum[pos + n] - csum[pos])) / total
            if n in DUP_NGRAM_SIZES:
                order, starts, lengths = _sorted_runs(h)
                dup_sorted = np.repeat(lengths > 1, lengths)
                dup_starts = order[dup_sorted]
                if not len(dup_starts):
                    no_dups = True  # no repeated n-gram means no repeated longer one either
                    continue
                delta = np.bincount(dup_starts, minlength=n_words + 1) - np.bincount(dup_starts + n,
                                                                                     minlength=n_words + 1)
                covered = np.cumsum(delta[:n_words]) > 0
                out[f"dup_{n}gram_frac"] = float(lens[covered].sum()) / total
    return out


def compute_signals(text: str, lang: str | None) -> dict[str, float]:
    """Every signal of one document (see ``SIGNALS`` for the names)."""
    n_chars = len(text)
    ws = words(text.lower(), lang)  # lower-case once; segmentation does not depend on case
    lines = lines_of(text)
    dl, dlc = duplicate_fractions(lines)
    dp, dpc = duplicate_fractions(paragraphs_of(text))
    word_chars = sum(map(len, ws))
    out: dict[str, float] = {
        "chars": float(n_chars),
        "words": float(len(ws)),
        "mean_word_len": word_chars / len(ws) if ws else 0.0,
        "special_ratio": special_ratio(text, word_chars),
        "digit_ratio": digit_ratio(text),
        "stopword_ratio": stopword_ratio(ws, lang),
        "short_line_ratio": short_line_ratio(lines),
        "no_terminal_punct_ratio": no_terminal_punct_ratio(lines),
        "max_dup_line_run": float(max_dup_line_run(lines)),
        "dup_line_frac": dl,
        "dup_line_char_frac": dlc,
        "dup_para_frac": dp,
        "dup_para_char_frac": dpc,
    }
    out.update(ngram_fractions(ws))
    out["blockword_ratio"] = blockword_hits(text, ws, lang) / len(ws) if ws else 0.0
    out["replacement_ratio"] = text.count("\ufffd") / n_chars if n_chars else 0.0
    out["mojibake_ratio"] = len(_MOJIBAKE.findall(text)) / n_chars if n_chars else 0.0
    out["control_ratio"] = len(_CONTROL.findall(text)) / n_chars if n_chars else 0.0
    # Over word characters (letters, digits, marks): cheaper than counting letters again.
    out["foreign_script_ratio"] = min(1.0, foreign_letter_count(text, lang) / word_chars) if word_chars else 0.0
    out["bullet_line_ratio"] = bullet_line_ratio(lines)
    out["ellipsis_line_ratio"] = ellipsis_line_ratio(lines)
    return out
