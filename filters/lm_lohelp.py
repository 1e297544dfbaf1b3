"""Prose paragraphs of LibreOffice help pages (``libreoffice-help-*`` HTML): extra KenLM reference text.

Debian's ``libreoffice-help-<lang>`` packages ship the LibreOffice help as ~2,600 static HTML
pages per language (generated from the XHP sources), Korean and Chinese among them. A paragraph
is a ``<p>`` (or list item / table cell paragraph) inside the page's ``DisplayArea``; inline
markup (menu names, emphasis) stays as words. Dropped: the page chrome (header, index, contents
asides), the "to use this command" menu paths (``howtoget``), notes' icons, code and Basic
examples (``bascode``, ``input``, ``literal``, ``<code>``/``<pre>``), and paragraphs holding such
code. Many pages are only partly translated: language ID (``filters.lm_reference_text``) removes
the English. Sentences and the prose test come from ``filters.lm_manpages``.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
from lxml import etree

from filters.lm_manpages import is_prose, split_sentences

_PARAGRAPH_CLASSES = frozenset({"paragraph", "listitem", "paragraphintable", "tablecontentintable", "notetext"})
_SKIP_CLASSES = frozenset({"howtoget", "bascode", "pycode", "code", "example", "input", "literal", "iconcell",
                           "related", "relatedtopics", "debug", "switchinline"})
_SKIP_TAGS = frozenset({"code", "pre", "script", "style", "header", "aside", "nav", "table"})
_CODE_CLASSES = frozenset({"input", "literal", "bascode", "pycode", "code"})


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def lohelp_paragraphs(html: str) -> list[str]:
    """The running-text paragraphs of one help page ([] for a page without a ``DisplayArea``)."""
    if not html.strip():
        return []
    try:
        root = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    area = root.xpath('//*[@id="DisplayArea"]')
    if not area:
        return []
    out: list[str] = []

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS or _classes(el) & _SKIP_CLASSES:
            return
        if el.tag == "p":
            if _classes(el) & _PARAGRAPH_CLASSES and not any(
                    isinstance(x.tag, str) and (x.tag in ("code", "pre") or _classes(x) & _CODE_CLASSES)
                    for x in el.iter()):
                text = " ".join("".join(_visible_text(el)).split())
                if text:
                    out.append(text)
            return
        for child in el:
            walk(child)

    walk(area[0])
    return out


def _visible_text(el: etree._Element) -> list[str]:
    """Text of ``el`` without ``hidden`` spans (the Mac variants of menu paths)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.get("hidden") is None:
            parts += _visible_text(child)
        parts.append(child.tail or "")
    return parts


def lohelp_sentences(html: str, lang: str) -> list[str]:
    """Prose sentences of one help page, in order (not deduplicated)."""
    return [s for p in lohelp_paragraphs(html) for s in split_sentences(p, lang) if is_prose(s, lang)]


def lohelp_pages(root: Path, folder: str) -> list[Path]:
    """The ``.html`` pages under ``root/<folder>/text/`` (sorted)."""
    return sorted((root / folder / "text").rglob("*.html"))
