"""Text normalisation before shingling: two documents that differ only in case, accents,
punctuation or digits must produce the same shingles (FineWeb/DataTrove normalise likewise).

Rules, in order: NFKD; combining marks dropped (accents folded: é -> e, が -> か); lower-case;
every decimal digit -> ``0``; every punctuation or symbol character -> a space; whitespace runs
collapse to one space per line, and lines are kept (the substring step may respect them).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Planes 0-3 and 14 hold every code point the table maps (planes 4-13 are unassigned and 15-16
# private use, category Cn/Co; tests/test_minhash.py checks this against the whole range).
# Building over these ranges only takes a quarter of the time: every MinHash actor and the
# dedup phase build the table once (~0.35 s over all of Unicode).
PLANES = (range(0, 0x40000), range(0xE0000, 0xF0000))


@lru_cache(maxsize=1)
def _table(planes: tuple[range, ...] = PLANES) -> dict[int, str | None]:
    """One translate table for the whole of Unicode (built once per process)."""
    table: dict[int, str | None] = {}
    for cp in (cp for r in planes for cp in r):
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


@lru_cache(maxsize=1)
def _ascii_table() -> bytes:
    """The same rules restricted to ASCII, as a bytes.translate table (the fast path)."""
    full = _table()
    out = bytearray(range(256))
    for cp in range(128):
        if cp in full:
            repl = full[cp]
            out[cp] = ord(repl) if repl else 0
    return bytes(out)


def normalize(text: str) -> str:
    """The dedup form of ``text`` (see the module docstring)."""
    if text.isascii():  # same result, ~5x faster: no decomposition needed, one byte table
        raw = text.lower().encode("ascii").translate(_ascii_table())
        text = raw.replace(b"\x00", b"").decode("ascii")
    else:
        text = unicodedata.normalize("NFKD", text).lower().translate(_table())
    return "\n".join(filter(None, (" ".join(line.split()) for line in text.split("\n"))))
