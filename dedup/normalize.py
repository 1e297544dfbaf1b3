"""Text normalisation before shingling: two documents that differ only in case, accents,
punctuation or digits must produce the same shingles (FineWeb/DataTrove normalise likewise).

Rules, in order: NFKD; combining marks dropped (accents folded: é -> e, が -> か); lower-case;
every decimal digit -> ``0``; every punctuation or symbol character -> a space; whitespace runs
collapse to one space per line, and lines are kept (the substring step may respect them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

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


def _re2_class(cps: list[int]) -> str:
    """An RE2 character class of exactly these code points, as ranges."""
    cps = sorted(cps)
    ranges, start, prev = [], cps[0], cps[0]
    for cp in cps[1:]:
        if cp != prev + 1:
            ranges.append((start, prev))
            start = cp
        prev = cp
    ranges.append((start, prev))
    return "[" + "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, str], ...]:
    """The translate table as (RE2 class, replacement) pairs, then the whitespace rules: the
    characters ``str.split()`` splits on that the table leaves alone (space, and a few of
    categories Zs/Zl/Zp) collapse to one space, spaces next to a newline go, empty lines go."""
    table = _table()
    by_repl: dict[str, list[int]] = {}
    for cp, repl in table.items():
        by_repl.setdefault(repl or "", []).append(cp)
    spaces = [cp for r in PLANES for cp in r if chr(cp).isspace() and cp not in table and chr(cp) != "\n"]
    return (*((_re2_class(cps), repl) for repl, cps in sorted(by_repl.items())),
            # single plain spaces are the commonest match by far and need no replacing
            (f"{_re2_class(spaces)}{{2,}}|{_re2_class([cp for cp in spaces if cp != 0x20])}", " "),
            (" ?\n ?", "\n"), ("\n{2,}", "\n"))


def normalize_many(texts: Sequence[str | None]) -> list[str]:
    """``normalize`` of each text (None counts as empty), with Arrow's RE2 kernels doing the
    per-character rules over all texts at once: ~5x faster than ``str.translate`` with a dict on
    non-ASCII text, and outside the GIL. Equal to ``normalize`` (tests/test_minhash.py checks
    every code point and real text in the 29 languages)."""
    pre = [t.lower() if t.isascii() else unicodedata.normalize("NFKD", t).lower() for t in (x or "" for x in texts)]
    try:
        arr = pa.array(pre, pa.large_string())
    except UnicodeEncodeError:  # a lone surrogate (Arrow holds UTF-8 only): this batch text by text
        return [normalize(x or "") for x in texts]
    for pattern, repl in _patterns():
        arr = pc.replace_substring_regex(arr, pattern=pattern, replacement=repl)
    return pc.utf8_trim(arr, " \n").to_pylist()
