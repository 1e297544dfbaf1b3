"""Sentences of Firefox's and Thunderbird's translations (Debian's ``firefox-esr-l10n-*`` and
``thunderbird-l10n-*``, MPL-2.0) for the KenLM training text of kk, he and ne.

Each package holds one language pack (``langpack-<locale>@….xpi``, a zip) of Fluent (``.ftl``)
and ``.properties`` string files: modern, human-written sentences of the interface (warnings,
explanations, preferences), a few thousand per language where Debian has no other prose. A
message's value and each of its attributes is one text; placeables (``{ $name }``, the brand
``{ -brand-short-name }``) and ``%S`` placeholders are removed, as the training text's
own-script filter removes a foreign word (``filters.lm_script``), and messages with selectors
(plural variants) are skipped; a text splits into sentences that must
pass :func:`filters.lm_manpages.is_prose` (Nepali sentences may end with the danda ``।``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from filters.lm_manpages import is_prose, split_sentences

_MESSAGE = re.compile(r"^-?[A-Za-z][\w.-]*\s*=\s?(.*)$")  # Fluent message/term or properties key
_ATTRIBUTE = re.compile(r"^\s+\.[\w-]+\s*=\s?(.*)$")  # Fluent attribute (.label = …)
_PLACEABLE = re.compile(r"\{[^{}]*\}")
_PRINTF = re.compile(r"%(?:\d+\$)?[Sd]")  # .properties placeholders (%S, %1$S, %d)
STRING_FILES = (".ftl", ".properties")
DANDA = "\u0964"


def string_values(text: str) -> list[str]:
    """The values of a Fluent or .properties file: one per message and per attribute, continuation
    lines (Fluent's indented ones) joined; comments and blank lines end a value."""
    values: list[str] = []
    cur: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            if cur is not None:
                values.append(cur)
            cur = None
            continue
        m = _MESSAGE.match(line) or _ATTRIBUTE.match(line)
        if m:
            if cur is not None:
                values.append(cur)
            cur = m.group(1)
        elif line[0].isspace() and cur is not None:
            cur += " " + line.strip()
    if cur is not None:
        values.append(cur)
    return values


def clean_value(value: str) -> str:
    """The value's plain text: placeables and placeholders removed; "" for a message with selector variants."""
    if "->" in value or "*[" in value:
        return ""
    while _PLACEABLE.search(value):
        value = _PLACEABLE.sub("", value)
    return " ".join(_PRINTF.sub("", value).split())


def _is_sentence(s: str, lang: str) -> bool:
    return is_prose(s[:-1] + "." if s.endswith(DANDA) else s, lang)


def mozilla_sentences(text: str, lang: str) -> list[str]:
    """The prose sentences of one string file, in order (not deduplicated)."""
    out = []
    for value in string_values(text):
        plain = clean_value(value)
        if plain:
            out += [s for s in split_sentences(plain, lang) if _is_sentence(s, lang)]
    return out


def langpack_files(root: Path, folder: str) -> list[Path]:
    """The string files of the language packs in ``root/folder``, unzipped beside them once."""
    files: list[Path] = []
    for xpi in sorted((root / folder).glob("*.xpi")):
        dest = xpi.with_suffix(".files")
        if not dest.is_dir():
            with zipfile.ZipFile(xpi) as z:
                for name in z.namelist():
                    if name.endswith(STRING_FILES) and ".." not in Path(name).parts:
                        z.extract(name, dest)
        files += sorted(p for p in dest.rglob("*") if p.suffix in STRING_FILES)
    return files
