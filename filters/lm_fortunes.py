"""Prose sentences of fortune-cookie files (``fortunes-*`` packages): extra KenLM reference text.

Debian's ``fortunes-ru``, ``-pl`` and ``-cs`` carry tens of thousands of aphorisms, quotations,
proverbs and short anecdotes: everyday language, unlike man pages. A file is a list of entries
separated by lines holding only ``%``; attribution lines (``-- Author``), indented verse and chat
logs are not running text. Sentences and the prose test come from ``filters.lm_manpages``.
"""

from __future__ import annotations

import re
from pathlib import Path

from filters.lm_manpages import is_prose, split_sentences

_ATTRIBUTION = re.compile(r"^\s*(--|—|–|~)")


def fortune_paragraphs(text: str) -> list[str]:
    """One paragraph per entry (or per blank-line block of an entry), attributions dropped."""
    out: list[str] = []
    for entry in re.split(r"(?m)^%\s*$", text.replace("\r\n", "\n")):
        for block in re.split(r"\n\s*\n", entry):
            lines = [x.strip() for x in block.splitlines() if x.strip() and not _ATTRIBUTION.match(x)]
            if lines:
                out.append(" ".join(lines))
    return out


def fortune_sentences(text: str, lang: str) -> list[str]:
    """Prose sentences of one fortune file, in order (not deduplicated)."""
    return [s for p in fortune_paragraphs(text) for s in split_sentences(p, lang) if is_prose(s, lang)]


def fortune_files(root: Path, folder: str) -> list[Path]:
    """The fortune text files under ``root/<folder>/`` (no ``.dat`` index, no ``.u8`` links), sorted."""
    d = root / folder
    return sorted(p for p in d.iterdir() if p.is_file() and not p.is_symlink()
                  and p.suffix not in (".dat", ".u8")) if d.is_dir() else []
