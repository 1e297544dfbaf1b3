"""Text normalisation before shingling: two documents that differ only in case, accents,
punctuation or digits must produce the same shingles (FineWeb/DataTrove normalise likewise).

Rules, in order: NFKD; combining marks dropped (accents folded: é -> e, が -> か); lower-case;
every decimal digit -> ``0``; every punctuation or symbol character -> a space; whitespace runs
collapse to one space per line, and lines are kept (the substring step may respect them).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


@lru_cache(maxsize=1)
def _table() -> dict[int, str | None]:
    """One translate table for the whole of Unicode (built once per process, ~0.5 s)."""
    table: dict[int, str | None] = {}
    for cp in range(sys.maxunicode + 1):
        cat = unicodedata.category(chr(cp))
        if cat == "Mn" or cat == "Me":
            table[cp] = None
        elif cat == "Nd":
            table[cp] = "0"
        elif cat[0] in "PS":
            table[cp] = " "
        elif cat in ("Cc", "Cf") and chr(cp) != "\n":
            table[cp] = " " if chr(cp) in "\t\r\x0b\x0c" else None
    return table


def normalize(text: str) -> str:
    """The dedup form of ``text`` (see the module docstring)."""
    text = unicodedata.normalize("NFKD", text).lower().translate(_table())
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()
