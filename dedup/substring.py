"""Exact-substring removal (Lee et al. 2022; RefineWeb): every span of at least N tokens that
occurs more than once in a language partition is removed, except its first occurrence.

Definition (what tests/test_substring.py checks against a brute-force oracle): documents are
taken in partition order; a token is removed when some window of N consecutive tokens that
contains it (within one line if ``respect_lines``) has the same token sequence as a window
starting earlier (an earlier document, or earlier in the same document). Tokens are
whitespace-separated words, or single non-space characters for zh/ja/th.

How it scales: every window is reduced to a 64-bit rolling hash (a polynomial over token
hashes, O(1) per window from prefix sums). Windows are sorted/grouped by hash (in-process
here; a hash-partitioned shuffle on Ray, and ``hash_partitions`` bounds memory locally: each
pass keeps only windows whose hash falls in one partition). Only windows whose hash occurs
twice or more are verified exactly by comparing their token strings, so a hash collision can
never remove text. Offsets are Python string indices (code points), so cutting multi-byte
text is exact; the removed text of a run of tokens is from its first token to the start of
the next kept token on the same line (or to the line end); a line left without tokens is
dropped together with its line break.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.hashing import fmix64, hash_tokens
from dedup.shingles import uses_chars

_CHAR = re.compile(r"\S")
_BASE = np.uint64(0x100000001B3 | 1)
_BASE_INV = np.uint64(pow(int(_BASE), -1, 1 << 64))


@dataclass
class Tokens:
    starts: np.ndarray  # char offset of each token
    ends: np.ndarray
    lines: np.ndarray  # line number of each token
    strings: list[str]


# Whitespace as ``\s`` and ``str.isspace`` define it (the same set, all below U+3001), as a
# lookup table, so a document is tokenised with array operations instead of one regex match
# object per token (the dedup phase tokenised ~1 ms per 5 kB page that way).
_MAX_SPACE = 0x3000
_IS_SPACE = np.array([chr(c).isspace() for c in range(_MAX_SPACE + 1)], dtype=bool)


def codepoints(text: str) -> np.ndarray:
    """The text's code points (lone surrogates included, as Python indexes them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def tokenize(text: str, language: str | None) -> Tokens:
    codes = codepoints(text)
    solid = ~(_IS_SPACE[np.minimum(codes, _MAX_SPACE)] & (codes <= _MAX_SPACE))
    if uses_chars(language):
        starts = np.flatnonzero(solid)
        ends = starts + 1
        strings = _CHAR.findall(text)
    else:
        edges = np.diff(solid.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        strings = text.split()  # the same tokens as \\S+ (checked in tests/test_substring.py)
    newlines = np.flatnonzero(codes == 10)
    lines = np.searchsorted(newlines, starts) if len(newlines) else np.zeros(len(starts), dtype=np.int64)
    return Tokens(starts.astype(np.int64), ends.astype(np.int64), lines.astype(np.int64), strings)


def window_hashes(tok: Tokens, n: int, respect_lines: bool) -> tuple[np.ndarray, np.ndarray]:
    """(hash, start token) of every valid window of n tokens."""
    m = len(tok.strings)
    if m < n:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    t = hash_tokens(tok.strings)
    with np.errstate(over="ignore"):
        powers = np.full(m + 1, _BASE, dtype=np.uint64)
        powers[0] = 1
        powers = np.cumprod(powers, dtype=np.uint64)
        inv = np.full(m, _BASE_INV, dtype=np.uint64)
        inv[0] = 1
        inv = np.cumprod(inv, dtype=np.uint64)
        prefix = np.zeros(m + 1, dtype=np.uint64)
        np.cumsum(t * powers[:m], out=prefix[1:], dtype=np.uint64)
        starts = np.arange(m - n + 1)
        h = fmix64((prefix[starts + n] - prefix[starts]) * inv[starts])
    if respect_lines:
        ok = tok.lines[starts] == tok.lines[starts + n - 1]
        return h[ok], starts[ok]
    return h, starts


def repeated_hashes(hashes: np.ndarray) -> np.ndarray:
    """Boolean per window: its hash occurs at least twice (only these need verification)."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=bool)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    return counts[inverse] >= 2


def later_copies(hashes: np.ndarray, docs: np.ndarray, starts: np.ndarray, windows: Sequence[Hashable]) -> np.ndarray:
    """Boolean per window: a window with the same hash *and* the same tokens (``windows``)
    sits at an earlier (doc, start). The first occurrence is the one that stays."""
    dup = np.zeros(len(hashes), dtype=bool)
    seen: set[tuple[int, Hashable]] = set()
    for w in np.lexsort((starts, docs, hashes)).tolist():
        key = (int(hashes[w]), windows[w])
        if key in seen:
            dup[w] = True
        else:
            seen.add(key)
    return dup


def duplicate_windows(hashes: np.ndarray, docs: np.ndarray, starts: np.ndarray,
                      window_text: WindowText) -> np.ndarray:
    """Boolean per window: an identical window occurs at an earlier (doc, start)."""
    dup = np.zeros(len(hashes), dtype=bool)
    cand = np.flatnonzero(repeated_hashes(hashes))
    words = [window_text(int(docs[w]), int(starts[w])) for w in cand]
    dup[cand] = later_copies(hashes[cand], docs[cand], starts[cand], words)
    return dup


def window_string(tok: Tokens, start: int, n: int) -> str:
    """A window's tokens as one string (tokens hold no whitespace, so "\\n" joins injectively)."""
    return "\n".join(tok.strings[start:start + n])


class WindowText:
    """The token sequence of a window, for exact verification."""

    def __init__(self, tokens: Sequence[Tokens], n: int) -> None:
        self.tokens, self.n = tokens, n

    def __call__(self, doc: int, start: int) -> str:
        return window_string(self.tokens[doc], start, self.n)


def removed_mask(n_tokens: int, dup_starts: np.ndarray, n: int) -> np.ndarray:
    """Token mask: union of [s, s+n) over duplicate window starts."""
    diff = np.zeros(n_tokens + 1, dtype=np.int64)
    np.add.at(diff, dup_starts, 1)
    np.add.at(diff, dup_starts + n, -1)
    return np.cumsum(diff[:-1]) > 0


def cut(text: str, tok: Tokens, removed: np.ndarray) -> str:
    """``text`` without the removed tokens (see the module docstring for the exact rule)."""
    if not removed.any():
        return text
    out: list[str] = []
    pos = 0
    line_ends = [i for i, c in enumerate(text) if c == "\n"] + [len(text)]
    line_start = 0
    for line_no, line_end in enumerate(line_ends):
        idx = np.flatnonzero(tok.lines == line_no)
        seg_end = line_end + 1 if line_end < len(text) else line_end
        if len(idx) and removed[idx].all():
            pos = seg_end  # a line left without tokens goes, with its line break
            line_start = seg_end
            continue
        out.append(text[pos:line_start] if pos < line_start else "")
        cursor = line_start
        for k, t in enumerate(idx):
            if removed[t] and (k == 0 or not removed[idx[k - 1]]):
                out.append(text[cursor:tok.starts[t]])
                nxt = next((u for u in idx[k:] if not removed[u]), None)
                cursor = int(tok.starts[nxt]) if nxt is not None else line_end
        out.append(text[cursor:seg_end])
        pos = line_start = seg_end
    return "".join(out)


def remove_windows(text: str | None, tok: Tokens, dup_starts: np.ndarray, n: int) -> tuple[str | None, int]:
    """(new text, characters removed) of one document without its duplicate windows."""
    if text is None:
        return None, 0
    new = cut(text, tok, removed_mask(len(tok.strings), dup_starts, n))
    return new, len(text) - len(new)


def windows_after(new: str | None, removed: int, tok: Tokens, language: str | None, n: int,
                  respect_lines: bool, hashes: np.ndarray | None = None) -> np.ndarray:
    """Unique window hashes of a document's text after removal (what ``text_windows`` gives for
    ``new``): from the tokens at hand (or their window ``hashes``) where nothing was removed."""
    if removed:
        tok = tokenize(new or "", language)
    elif hashes is not None:
        return np.unique(hashes)
    return np.unique(window_hashes(tok, n, respect_lines)[0])


@dataclass
class SubstringResult:
    texts: list[str | None]
    removed_chars: np.ndarray
    # With ``final_windows``: each document's unique window hashes after removal (what
    # ``text_windows`` gives for the new texts), from the tokens already at hand where
    # nothing was removed.
    windows: list[np.ndarray] | None = None


def dedup_substrings(texts: Sequence[str | None], languages: Sequence[str | None], n: int = 50,
                     respect_lines: bool = False, hash_partitions: int = 1,
                     published: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                     final_windows: bool = False) -> SubstringResult:
    """Remove repeated spans from a partition's documents, in the given order.

    ``published(hashes, docs) -> bool mask`` names windows that earlier runs already published
    in another document (dedup/index.py ``SubstringIndex``; ``docs`` are indices into
    ``texts``): they count as earlier occurrences. Their text is not at hand, so these matches
    rest on the 64-bit hash alone.
    """
    toks = [tokenize(t or "", lang) for t, lang in zip(texts, languages)]
    wt = WindowText(toks, n)
    per_doc = [window_hashes(tk, n, respect_lines) for tk in toks]
    hashes = np.concatenate([h for h, _ in per_doc]) if per_doc else np.zeros(0, np.uint64)
    starts = np.concatenate([s for _, s in per_doc]) if per_doc else np.zeros(0, np.int64)
    docs = np.repeat(np.arange(len(toks)), [len(h) for h, _ in per_doc])
    dup = np.zeros(len(hashes), dtype=bool)
    for part in range(hash_partitions):
        sel = np.flatnonzero(hashes % np.uint64(hash_partitions) == np.uint64(part))
        dup[sel] = duplicate_windows(hashes[sel], docs[sel], starts[sel], wt)
    if published is not None and len(hashes):
        dup |= published(hashes, docs)
    out: list[str | None] = []
    removed_chars = np.zeros(len(toks), dtype=np.int64)
    windows: list[np.ndarray] | None = [] if final_windows else None
    bounds = np.searchsorted(docs, np.arange(len(toks) + 1))
    for d, (text, tk) in enumerate(zip(texts, toks)):
        lo, hi = bounds[d], bounds[d + 1]
        new, removed_chars[d] = remove_windows(text, tk, starts[lo:hi][dup[lo:hi]], n)
        out.append(new)
        if windows is not None:
            windows.append(windows_after(new, removed_chars[d], tk, languages[d], n, respect_lines, hashes[lo:hi]))
    return SubstringResult(out, removed_chars, windows)


def text_windows(texts: Sequence[str | None], languages: Sequence[str | None], n: int = 50,
                 respect_lines: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(window hash, document index) pairs, unique per document: what the cross-run index keeps."""
    parts = [np.unique(window_hashes(tokenize(t or "", lang), n, respect_lines)[0])
             for t, lang in zip(texts, languages)]
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(parts), np.repeat(np.arange(len(parts)), [len(p) for p in parts])
