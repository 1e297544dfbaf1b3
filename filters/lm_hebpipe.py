"""Hebrew Wikipedia sentences from the hebpipe sdist (UD_Hebrew-IAHLTwiki): extra KenLM reference text.

HebPipe (PyPI ``hebpipe``, Apache-2.0 code) ships its training data in the source distribution.
Its joint tagger files ``hebpipe/data/mtldatafile_{train,dev}.tab`` hold, in this order, the
IAHLTwiki treebank (5,000 sentences of Hebrew Wikipedia, CC-BY-SA-4.0), the Haaretz sentences of
UD_Hebrew-HTB (CC BY-NC-SA: not for us) and Knesset protocols (no licence stated: not for us).
Only the leading Wikipedia block is read: it ends at the first sentence that is also in
``heb_train_tb.conll10`` (HTB). Rows are morphemes (``form, UPOS, B-SENT|O, B|I|E|O``) that cut
the written word into pieces (``ב+ה`` = בה, ``יומ+ו`` = יומו), so a word is its pieces joined and
the sentence is its words with punctuation re-attached. A few words were cut between two full
words (a lost space, ``אודות+היהודים``); such sentences are dropped. The sdist is fetched with
``pip download --no-binary`` and read as a tar archive; nothing is installed.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from filters.lm_manpages import is_prose

PACKAGE = "hebpipe"
VERSION = "4.0.2.0"  # pinned: the text, and so the he model, must not change under a rebuild
LICENCE = ("CC-BY-SA-4.0 (UD_Hebrew-IAHLTwiki, the Wikipedia part of hebpipe's training data; hebpipe is "
           "Apache-2.0, its README: resources keep their own licences)")
DATA = f"hebpipe-{VERSION}/hebpipe/data/"
TAB_FILES = ("mtldatafile_train.tab", "mtldatafile_dev.tab")
HTB_FILE = "heb_train_tb.conll10"
_PROCLITIC_POS = frozenset({"ADP", "SCONJ", "CCONJ", "DET"})
_NO_SPACE_BEFORE = frozenset(".,:;!?)]%")
_NO_SPACE_AFTER = frozenset("([")

Morph = tuple[str, str, str]  # form, UPOS, segment tag (B/I/E inside a word, O alone)


def tab_sentences(text: str) -> list[list[Morph]]:
    """The sentences of a hebpipe tagger file, each a list of morphemes."""
    out: list[list[Morph]] = []
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) < 4:
            continue
        if cols[2] == "B-SENT" or not out:
            out.append([])
        out[-1].append((cols[0], cols[1], cols[3]))
    return out


def _words(morphs: list[Morph]) -> list[str] | None:
    """The written words (pieces joined); None when a word joins two full words (a lost space)."""
    words: list[str] = []
    group: list[Morph] = []
    for m in morphs:
        group.append(m)
        if m[2] not in ("O", "E"):
            continue
        for (form, pos, _), nxt in zip(group, group[1:]):
            if len(form) >= 3 and form.isalpha() and pos not in _PROCLITIC_POS and nxt[1] != "PRON":
                return None
        words.append("".join(x[0] for x in group))
        group = []
    if group:
        words.append("".join(x[0] for x in group))
    return words


def _hyphen_joins(word: str) -> bool:
    """A hyphen after this word joins it to the next (ה-GCS, וכ-240, קדם-תרופה): a short word; after a
    longer one it is a dash (``תחומים - כולל``)."""
    return 0 < len(word) <= 3 and word.isalnum()


def detokenize(words: list[str]) -> str:
    """Words with punctuation re-attached: ``( x )`` -> ``(x)``, ``" x "`` -> ``"x"``, ``וכ - 240`` -> ``וכ-240``.
    A quote mark opens a quotation unless one is open or only punctuation follows it (a quotation
    that began in an earlier sentence)."""
    out: list[str] = []
    in_quote = glue = False
    for i, w in enumerate(words):
        if w == '"':
            closes = in_quote or all(x in _NO_SPACE_BEFORE or x == '"' for x in words[i + 1:])
            out.append(w if closes or not out else " " + w)
            glue = not closes
            in_quote = not closes
            continue
        if w == "-" and out and _hyphen_joins(out[-1].strip()):
            out.append(w)
            glue = True
            continue
        attach = not out or glue or w in _NO_SPACE_BEFORE or out[-1][-1:] in _NO_SPACE_AFTER
        out.append(w if attach else " " + w)
        glue = False
    return "".join(out)


def sentence_text(morphs: list[Morph]) -> str | None:
    words = _words(morphs)
    return detokenize(words) if words else None


def htb_texts(conll: str) -> set[str]:
    """HTB's sentences as their forms joined without spaces (how they are matched)."""
    out = set()
    for block in conll.strip().split("\n\n"):
        out.add("".join(row.split("\t")[1] for row in block.splitlines() if row and not row.startswith("#")))
    return out


def wiki_block(sentences: list[list[Morph]], htb: set[str]) -> list[list[Morph]]:
    """The leading sentences before the first HTB sentence: the IAHLTwiki part."""
    for i, s in enumerate(sentences):
        if "".join(m[0] for m in s) in htb:
            return sentences[:i]
    return sentences


def hebpipe_sentences(text: str, lang: str = "he") -> list[str]:
    """Prose sentences of one kept file (one reconstructed sentence per line), in order."""
    return [s for s in (x.strip() for x in text.splitlines()) if is_prose(s, lang)]


def extract_sdist(sdist: Path, keep: Path) -> dict[str, int]:
    """Write the reconstructed Wikipedia sentences of each tagger file to ``keep/<name>.txt``;
    how many sentences each kept (mis-segmented ones dropped)."""
    with tarfile.open(sdist) as tar:
        def read(name: str) -> str:
            f = tar.extractfile(DATA + name)
            if f is None:
                raise FileNotFoundError(DATA + name)
            return f.read().decode("utf-8")

        htb = htb_texts(read(HTB_FILE))
        counts = {}
        for name in TAB_FILES:
            block = wiki_block(tab_sentences(read(name)), htb)
            lines = [t for t in (sentence_text(s) for s in block) if t]
            (keep / Path(name).with_suffix(".txt").name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            counts[name] = len(lines)
    return counts


def unpack_sdist(out: Path) -> tuple[Path, str] | None:
    """``pip download`` the pinned sdist and keep its Wikipedia sentences in ``out/hebpipe/``.

    The kept root and the version, or None (with a message) when pip cannot get the sdist.
    """
    import shutil

    keep = out / PACKAGE
    with tempfile.TemporaryDirectory(prefix="kenlm-text-") as tmp:
        got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                              "-d", tmp, f"{PACKAGE}=={VERSION}"],
                             capture_output=True, text=True)
        sdists = sorted(Path(tmp).glob(f"{PACKAGE}-*.tar.gz"))
        if not sdists:
            print(f"kenlm text: pip download {PACKAGE}=={VERSION} failed: {got.stderr.strip()[-200:]}",
                  file=sys.stderr)
            return None
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        extract_sdist(sdists[0], keep)
    (keep / "VERSION").write_text(VERSION + "\n", encoding="utf-8")
    return keep, VERSION


def hebpipe_files(root: Path) -> list[Path]:
    """The kept sentence files under ``root`` (sorted)."""
    return sorted(root.glob("mtldatafile_*.txt"))
