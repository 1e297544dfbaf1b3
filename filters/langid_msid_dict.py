"""Malay-only words from a Malaysian dictionary word list, as ms/id evidence (built at set-up).

Our Malay training text is ~2,300 lines, so a Malaysian-standard word the model never saw
(``jurucakap``, ``pentadbiran``, ``canselor``) says nothing, and the sentence often goes to
Indonesian. The word lists of the ``malaya`` package (Husein Zolkepli, MIT) come from
Malaysian dictionaries (Kamus Dewan, DBP, ~64,000 forms with affixes). Malaysian
dictionaries also list Indonesian words, so a word counts as *Malay-only* when it is in those
lists and **not** Indonesian-known: not a root word of the ``Sastrawi`` Indonesian stemmer's
dictionary (MIT, ~29,900 roots), not in wordfreq's Indonesian list, and for a hyphenated word
(``orang-orang``) not made only of Indonesian-known parts. ~36,000 words qualify; on the NTREX
training documents they occur 1,966 times in Malay and 103 times in Indonesian sentences.

Each distinct Malay-only word in a sentence adds ``DICT_WEIGHT`` (:mod:`filters.langid_msid`)
to the ms-vs-id log-odds. The symmetric list (Indonesian-only words) is not used: the roots
carry no affixed forms and wordfreq's frequency evidence already covers common Indonesian words.

Only the two wheels are downloaded (``pip download --no-deps``); the word lists are Python
modules inside malaya, read with :func:`ast.literal_eval` (never executed). The derived list
goes into ``asset_dir("langid")``, never into git.
"""

from __future__ import annotations

import argparse
import ast
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from filters.langid_msid import words

DICT_NAME = "ms_only_words.txt"
MALAYA_VERSION = "5.1.1"
SASTRAWI_VERSION = "1.0.1"
# The Malaysian word lists inside the malaya wheel (modules holding one literal set of words).
MALAYA_LISTS = tuple(f"malaya/dictionary/bahasa/{name}.py"
                     for name in ("kamus_dewan", "dbp", "words", "cambridge_words"))
SASTRAWI_ROOTS = "Sastrawi/Stemmer/data/kata-dasar.txt"


def literal_words(source: str, where: str = "module") -> set[str]:
    """The lower-cased words of the first ``name = {...}`` (or list) assignment in a Python source."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as e:
                raise ValueError(f"{where}: the first assignment is not a literal word list") from e
            if not isinstance(value, (set, list, tuple, frozenset)) or not all(isinstance(w, str) for w in value):
                raise ValueError(f"{where}: the first assignment is not a collection of strings")
            return {w.strip().lower() for w in value if w.strip()}
    raise ValueError(f"{where}: no word-list assignment found")


def root_words(text: str) -> set[str]:
    """Sastrawi's ``kata-dasar.txt``: one root word a line."""
    return {w.strip().lower() for w in text.splitlines() if w.strip()}


def malay_only(malay: Iterable[str], indonesian: set[str]) -> set[str]:
    """Words of the Malaysian lists that are not Indonesian-known (see the module docstring)."""

    def indonesian_known(w: str) -> bool:
        return w in indonesian or ("-" in w and all(p in indonesian for p in w.split("-")))

    return {w for w in malay if words(w) == {w} and not indonesian_known(w)}


def build_list(malaya_wheel: Path, sastrawi_wheel: Path, indonesian_freq: Iterable[str], out: Path) -> int:
    """Write the Malay-only words (one a line, after a provenance header) and return their number."""
    with zipfile.ZipFile(malaya_wheel) as z:
        malay = set().union(*(literal_words(z.read(name).decode("utf-8"), name) for name in MALAYA_LISTS))
    with zipfile.ZipFile(sastrawi_wheel) as z:
        roots = root_words(z.read(SASTRAWI_ROOTS).decode("utf-8"))
    chosen = sorted(malay_only(malay, roots | set(indonesian_freq)))
    header = (f"# Malay-only words: malaya {MALAYA_VERSION} Malaysian word lists (MIT) minus Sastrawi "
              f"{SASTRAWI_VERSION} Indonesian roots (MIT) and wordfreq's Indonesian list; "
              f"{len(malay)} Malaysian forms, {len(roots)} roots; built by filters/langid_msid_dict.py")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(header + "\n" + "\n".join(chosen) + "\n", encoding="utf-8")
    tmp.replace(out)
    return len(chosen)


def read_list(path: Path) -> frozenset[str]:
    return frozenset(w for w in path.read_text(encoding="utf-8").splitlines() if w and not w.startswith("#"))


def vote(malay_only_words: frozenset[str], text: str) -> int:
    """How many distinct Malay-only words the text has."""
    return len(words(text) & malay_only_words)


def main(argv: list[str] | None = None) -> int:
    from filters.langid_msid import FREQ_NAME
    from filters.langid_msid_freq import read_table

    ap = argparse.ArgumentParser(description="build the Malay-only word list from the malaya and Sastrawi wheels")
    ap.add_argument("--malaya", type=Path, required=True, help=f"malaya-{MALAYA_VERSION}-py3-none-any.whl")
    ap.add_argument("--sastrawi", type=Path, required=True, help=f"Sastrawi-{SASTRAWI_VERSION}-py2.py3-none-any.whl")
    ap.add_argument("--out", type=Path, default=None, help=f"default: asset_dir('langid')/{DICT_NAME}")
    ap.add_argument("--freq", type=Path, default=None, help=f"the wordfreq table; default: {FREQ_NAME} beside --out")
    args = ap.parse_args(argv)
    from curation.assets import asset_dir

    out = args.out or asset_dir("langid") / DICT_NAME
    freq = args.freq or out.with_name(FREQ_NAME)
    try:
        indonesian = set(read_table(freq).indonesian)  # built just before by the same set-up step
        n = build_list(args.malaya, args.sastrawi, indonesian, out)
    except (OSError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as e:
        print(f"langid: cannot build {out}: {e}", file=sys.stderr)
        return 2
    print(f"langid: {n} Malay-only words -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
