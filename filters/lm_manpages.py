"""Prose sentences from installed man pages (roff source): extra reference text for KenLM models.

Debian's translated manual pages (``manpages-l10n``: ``manpages-ru``, ``-uk``, ``-pl``, ``-cs``;
``manpages-zh``; English ``manpages``/``manpages-dev``) are the largest body of real,
human-written sentences a fresh machine can install for several of our languages without any
network but apt. They are technical text, so only prose survives here: the roff requests,
option tags (``.TP``), example and synopsis blocks (``.nf``/``.EX``), font escapes and comments
go; a sentence is kept when it ends like a sentence, has enough words, carries no code-like
characters, and its letters are (almost all) of the language's own script. Pure functions on
one page's source; :func:`package_pages` lists a package's pages through ``dpkg -L``.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from filters.lm_script import letter_script, own_scripts

# Font requests whose arguments are running text (alternating fonts: no space between arguments).
_FONT_SPACED = frozenset({"B", "I", "SM", "SB"})
_FONT_ALTERNATING = frozenset({"BR", "RB", "BI", "IB", "IR", "RI"})
# Blocks of code, examples or verbatim text: skipped whole.
_BLOCK_END = {"nf": "fi", "EX": "EE", "Vb": "Ve", "TS": "TE", "EQ": "EN", "PS": "PE", "de": ".", "ig": "."}
_NAMED = {"em": "—", "en": "–", "hy": "-", "aq": "'", "dq": '"', "lq": "“", "rq": "”", "oq": "‘", "cq": "’",
          "Fo": "«", "Fc": "»", "bu": "•", "co": "©", "rg": "®", "tm": "™", "mi": "-", "pl": "+", "ti": "~",
          "ha": "^", "dg": "†", "de": "°"}
_ESCAPE = re.compile(r"\\(?:f(?:\[[^\]]*\]|\(..|.)|s[+-]?\d+|\*(?:\[[^\]]*\]|\(..|.)|\((..)|\[([^\]]*)\]|(.))")
_ARG = re.compile(r'"([^"]*)"|(\S+)')
# A sentence ends with one of these, followed by space (closing quotes/brackets may follow it).
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+|(?<=[。！？])")
_CODE = re.compile(r"[\[\]{}<>|=_\\$@#*^~`/]|--|\.\w+\(|\w\.\w|\(\)")
NO_SPACES = frozenset({"zh", "ja", "th"})
MIN_WORDS = 5  # shorter lines are mostly option descriptions and headings
MIN_CHARS_NO_SPACES = 12  # the same for zh/ja/th, counted in characters
MIN_OWN_SCRIPT = 0.9  # share of the letters in the language's own script(s)


def _escape(m: re.Match[str]) -> str:
    named, bracket, single = m.group(1), m.group(2), m.group(3)
    if named is not None:
        return _NAMED.get(named, "")
    if bracket is not None:
        return _NAMED.get(bracket, "")
    if single is None:  # \f (font), \s (size), \* (string): no text
        return ""
    return {"-": "-", "e": "\\", " ": " ", "~": " ", "0": " ", "c": "", "t": " "}.get(single, "")


def unescape(text: str) -> str:
    """Running text of one roff line: fonts, sizes, zero-width and named characters resolved."""
    text = re.sub(r'\\".*$', "", text)  # comment to end of line
    return _ESCAPE.sub(_escape, text)


def _args(rest: str) -> list[str]:
    return [a or b for a, b in _ARG.findall(rest)]


def roff_paragraphs(source: str) -> list[str]:
    """Prose paragraphs of a man page's roff source (requests, tags, code blocks and comments gone)."""
    paras: list[str] = []
    cur: list[str] = []
    block_end: str | None = None
    skip_next = False  # the tag line after .TP/.TQ

    def flush() -> None:
        if cur:
            paras.append(" ".join(cur))
            cur.clear()

    for raw in source.splitlines():
        line = raw.rstrip()
        if block_end is not None:
            if line.lstrip(".'").split(" ")[0].strip() == block_end or (block_end == "." and line == ".."):
                block_end = None
            continue
        if line[:1] in (".", "'"):
            body = line[1:].lstrip()
            if body.startswith('\\"'):
                continue
            name, _, rest = body.partition(" ")
            name = name.strip()
            if name in _BLOCK_END:
                flush()
                block_end = _BLOCK_END[name]
                continue
            if name in ("TP", "TQ"):
                flush()
                skip_next = True
                continue
            if name in _FONT_SPACED or name in _FONT_ALTERNATING:
                if skip_next:
                    skip_next = False
                    continue
                parts = [unescape(a) for a in _args(rest)]
                text = (" " if name in _FONT_SPACED else "").join(parts)
                if text.strip():
                    cur.append(text.strip())
                continue
            flush()  # .SH, .PP, .IP and every other request end the paragraph
            skip_next = False
            continue
        if skip_next:
            skip_next = False
            continue
        text = unescape(line).strip()
        if text:
            cur.append(text)
        else:
            flush()
    flush()
    return paras


def _join_no_space(text: str) -> str:
    """Line breaks inside a zh/ja/th paragraph are not word breaks: drop spaces between such letters."""
    return re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)


def split_sentences(paragraph: str, lang: str) -> list[str]:
    text = " ".join(paragraph.split())
    if lang in NO_SPACES:
        text = _join_no_space(text)
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def own_script_share(sentence: str, lang: str) -> float:
    scripts = own_scripts(lang)
    letters = [s for s in (letter_script(c) for c in sentence) if s is not None]
    if not letters:
        return 0.0
    return sum(s in scripts for s in letters) / len(letters)


def is_prose(sentence: str, lang: str) -> bool:
    """A whole sentence in the language's own script, with no code-like characters."""
    if not sentence or sentence[-1] not in ".!?…。！？\"'»”)":
        return False
    if lang in NO_SPACES:
        if len(sentence) < MIN_CHARS_NO_SPACES:
            return False
    elif len(sentence.split()) < MIN_WORDS:
        return False
    if _CODE.search(sentence) or sentence[0] in "-+.,;:":
        return False
    first = letter_script(sentence[0])
    if sentence[0].islower() and first in own_scripts(lang) and first != "LATIN":
        return False  # a fragment (its start was a dropped code span); Latin ones may start with a command

    return own_script_share(sentence, lang) >= MIN_OWN_SCRIPT


def prose_sentences(source: str, lang: str) -> list[str]:
    """The prose sentences of one man page's roff source, in order (not deduplicated)."""
    return [s for p in roff_paragraphs(source) for s in split_sentences(p, lang) if is_prose(s, lang)]


def read_page(path: Path) -> str:
    """A man page's source, gzip or plain; undecodable bytes replaced (old pages are not all UTF-8)."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def package_pages(package: str) -> list[Path]:
    """The man page files an installed Debian package owns (sorted); [] when it is not installed."""
    try:
        proc = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    except FileNotFoundError:  # not a Debian system
        return []
    if proc.returncode != 0:
        return []
    paths = [Path(x) for x in proc.stdout.splitlines() if "/man/" in x and re.search(r"\.\d\w*(\.gz)?$", x)]
    return sorted(p for p in paths if p.is_file() and not p.is_symlink())


def dedupe(lines: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for x in lines:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
