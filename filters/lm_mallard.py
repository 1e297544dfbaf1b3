"""Prose paragraphs of Mallard help pages (GNOME's ``.page`` XML): extra KenLM reference text.

Debian's ``gnome-user-docs`` ships the GNOME desktop help translated into ~40 languages (Korean
among them, which has no translated man pages). A paragraph is the text of a ``<p>`` element
with its inline markup (``<gui>``, ``<link>``, ``<em>``) kept as words; paragraphs inside the
page's ``<info>`` block, and paragraphs that hold commands, file names or program output
(``<code>``, ``<cmd>``, ``<file>``...), are dropped. XML comments (untranslated drafts) are never
text. Sentences and the prose test come from ``filters.lm_manpages``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from filters.lm_manpages import is_prose, split_sentences

_CODE_TAGS = frozenset({"code", "cmd", "screen", "file", "sys", "input", "output", "var", "listing", "media"})
_SKIP_PARENTS = frozenset({"info", "desc", "title", "credit"})


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def mallard_paragraphs(xml: str) -> list[str]:
    """The running-text paragraphs of one Mallard page ([] for a page that does not parse)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    out: list[str] = []

    def walk(el: ET.Element) -> None:
        name = _local(el.tag)
        if name in _SKIP_PARENTS:
            return
        if name == "p":
            if not any(_local(x.tag) in _CODE_TAGS for x in el.iter()):
                text = " ".join("".join(el.itertext()).split())
                if text:
                    out.append(text)
            return
        for child in el:
            walk(child)

    walk(root)
    return out


def mallard_sentences(xml: str, lang: str) -> list[str]:
    """Prose sentences of one Mallard page, in order (not deduplicated)."""
    return [s for p in mallard_paragraphs(xml) for s in split_sentences(p, lang) if is_prose(s, lang)]


def help_pages(root: Path, folder: str) -> list[Path]:
    """The ``.page`` files of every help document under ``root/<folder>/`` (sorted)."""
    return sorted((root / folder).glob("*/*.page"))
