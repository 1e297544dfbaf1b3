"""LLaMAX-style dictionary code-switching: replace source words by their translations.

LLaMAX §3 (Algorithm 1): lower-case the sentence, split it into words (Chinese with a word
segmenter such as jieba), and replace words at random with dictionary translations into the
target language. The lexicon is MUSE's format: one ``word<TAB>translation`` (or
``word translation``) per line, source language first; a word with several translations
keeps them all and one is picked per replacement.

Randomness is a hash of (seed, pair id, word position), so a rerun gives the same text.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from filters.words import segmenter

# Languages written without spaces between words: segment, and rejoin without spaces.
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th"})
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

Lexicon = dict[str, list[str]]


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and line."""


def load_lexicon(path: str | Path) -> Lexicon:
    """MUSE bilingual dictionary -> {source word (lower-case): [translations in file order]}."""
    p = Path(path)
    if not p.is_file():
        raise LexiconError(f"lexicon not found: {p}")
    lexicon: Lexicon = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise LexiconError(f"{p}:{n}: expected 'word<TAB>translation', got {line[:80]!r}")
        word, translation = parts[0].strip().lower(), parts[1].strip()
        if translation not in lexicon.setdefault(word, []):
            lexicon[word].append(translation)
    return lexicon


def unit_random(*parts: object) -> float:
    """A reproducible number in [0, 1) from its inputs (blake2b, not Python's salted hash)."""
    h = hashlib.blake2b("\x00".join(str(p) for p in parts).encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "big") / 2**64


def _spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` (segmenter for zh/th, letter runs elsewhere)."""
    if lang in ("zh", "th"):
        spans, pos = [], 0
        for token in segmenter(lang)(text):
            start = text.find(token, pos)
            if start < 0:
                continue
            spans.append((start, start + len(token)))
            pos = start + len(token)
        return spans
    return [m.span() for m in _WORD.finditer(text)]


def code_switch(text: str, src_lang: str, tgt_lang: str, lexicon: Lexicon, ratio: float,
                seed: int, key: str) -> str:
    """Lower-case ``text`` and replace each word that has a translation with probability ``ratio``."""
    lowered = text.lower()
    out: list[str] = []
    last = 0
    for i, (start, end) in enumerate(_spans(lowered, src_lang)):
        word = lowered[start:end]
        options = lexicon.get(word)
        if not options or unit_random(seed, key, i, "switch") >= ratio:
            continue
        choice = options[int(unit_random(seed, key, i, "pick") * len(options))]
        if src_lang in NO_SPACE_LANGUAGES and tgt_lang not in NO_SPACE_LANGUAGES:
            choice = f" {choice} "  # a spaced word inside unspaced text keeps its boundaries
        out.append(lowered[last:start])
        out.append(choice)
        last = end
    out.append(lowered[last:])
    return re.sub(r" {2,}", " ", "".join(out)).strip()
