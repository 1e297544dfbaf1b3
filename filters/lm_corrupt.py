"""Synthetic corruptions of clean sentences: the negatives for judging a perplexity model.

Used twice, on disjoint text: ``filters.lm_default_models`` picks each default model's
SentencePiece vocabulary size on held-out lines of its training sources (validation), and
``bench/perplexity_eval.py`` reports AUC on FLORES-200 devtest (test). The kinds are what a
web perplexity filter must push down: word salad, garbled characters, text in another
language, and boilerplate (menus, cookie banners).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np

KINDS = ("shuffled", "chars", "other_lang", "boilerplate")
NO_SPACES = frozenset({"zh", "ja", "th"})  # scripts that do not space words: shuffle characters
NO_SPACE_WORD = {"zh": 2, "ja": 2, "th": 4}  # code points per menu item there (Thai words are longer)
COOKIE = ("We use cookies to improve your experience on our website. By continuing to browse, you agree "
          "to our use of cookies. Accept all | Reject | Cookie settings | Privacy policy")


def _units(s: str, lang: str) -> tuple[list[str], str]:
    if lang in NO_SPACES or len(s.split()) < 4:
        return list(s), ""
    return s.split(), " "


def shuffled(s: str, lang: str, rng: random.Random) -> str:
    """Words (characters for zh/ja/th or very short lines) in random order, never the original."""
    units, sep = _units(s, lang)
    out = s
    for _ in range(10):
        rng.shuffle(units)
        out = sep.join(units)
        if out != s:
            break
    return out


def chars_replaced(s: str, alphabet: Sequence[str], rng: random.Random, share: float = 0.25) -> str:
    """``share`` of the non-space characters replaced by characters of the language's own text."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if not c.isspace()]
    if not idx:
        return s
    for i in rng.sample(idx, max(1, int(len(idx) * share))):
        chars[i] = rng.choice(alphabet)
    return "".join(chars)


def _letter_runs(s: str) -> list[str]:
    runs, cur = [], []
    for c in s:
        if c.isalpha() or unicodedata.category(c)[0] == "M":  # Thai vowel signs are marks
            cur.append(c)
        elif cur:
            runs.append("".join(cur))
            cur = []
    return runs + (["".join(cur)] if cur else [])


def _no_space_words(s: str, size: int = 2) -> list[str]:
    """Word-sized menu items for zh/ja/th: consecutive ``size``-code-point pieces of each run of
    letters (most Chinese words have two characters; single characters make no menu)."""
    return [run[i:i + size] for run in _letter_runs(s) for i in range(0, len(run) - size + 1, size)]


def boilerplate(i: int, words: Sequence[str], rng: random.Random) -> str:
    """A navigation menu of the language's own words (even i) or an English cookie banner (odd i)."""
    if i % 2 or len(words) < 8:
        return COOKIE
    items = [w.strip(".,;:!?\"'()").title() for w in rng.sample(list(words), 8)]
    return rng.choice([" | ", " » ", " · "]).join(items) + f" © {rng.randint(2005, 2024)}"


def corrupt(lang: str, clean: Sequence[str], others: Mapping[str, Sequence[str]],
            seed: int = 0) -> dict[str, list[str]]:
    """One corrupted line per clean line and kind; ``others``: other languages' clean lines."""
    rng = random.Random(f"{seed}-{lang}")
    alphabet = [c for c in "".join(clean) if not c.isspace()]
    size = NO_SPACE_WORD.get(lang)
    words = [w for s in clean for w in (_no_space_words(s, size) if size else s.split()) if w.strip()]
    pool = [x for x in sorted(others) if x != lang and others[x]]
    return {
        "shuffled": [shuffled(s, lang, rng) for s in clean],
        "chars": [chars_replaced(s, alphabet, rng) for s in clean],
        "other_lang": [others[pool[i % len(pool)]][i % len(others[pool[i % len(pool)]])] for i in range(len(clean))],
        "boilerplate": [boilerplate(i, words, rng) for i in range(len(clean))],
    }


def auc(neg: Sequence[float], pos: Sequence[float]) -> float:
    """P(pos > neg), ties counted half (Mann-Whitney U / (n_pos * n_neg))."""
    a, b = np.asarray(neg, dtype=np.float64), np.asarray(pos, dtype=np.float64)
    both = np.concatenate([a, b])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    i = 0
    while i < len(both):  # average ranks over ties
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = ranks[len(a):].sum()
    return float((r_pos - len(b) * (len(b) + 1) / 2) / (len(a) * len(b)))


def auc_standard_error(a: float, n_neg: int, n_pos: int) -> float:
    """Standard error of an AUC estimated from ``n_neg`` clean and ``n_pos`` corrupted items (Hanley &
    McNeil 1982, Radiology 143:29): how far a validation AUC may sit from the model's true one."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_neg * n_pos)
    return float(np.sqrt(max(var, 0.0)))
