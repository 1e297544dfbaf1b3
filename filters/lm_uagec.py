"""Ukrainian everyday prose from the UA-GEC corpus wheel: extra KenLM reference text.

UA-GEC (Grammarly; PyPI ``ua-gec``, CC-BY-4.0) is ~1,900 texts written by ~500 native and
non-native speakers (essays, letters, blog posts, fiction, translations), each corrected by
annotators. Its wheel ships the corpus itself (no download at run time), and the corrected text
of the fluency track (``gec-fluency/<partition>/target-sentences/<doc>.a<annotator>.txt``: one
sentence per line) is the largest body of everyday Ukrainian a fresh machine can get: unlike man
pages and desktop help, it teaches the word order of ordinary sentences. The wheel is downloaded
with ``pip download --no-deps`` and read as a zip; nothing is installed. Of a document corrected
by several annotators only the first annotator's version is taken (the others are near copies).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from filters.lm_manpages import is_prose

PACKAGE = "ua-gec"
VERSION = "2.1.3"  # pinned: the text, and so the uk model, must not change under a rebuild
LICENCE = "CC-BY-4.0 (ua-gec wheel METADATA License; its classifier says CC0 1.0)"
_TARGET = re.compile(r"^ua_gec/data/gec-fluency/(train|test)/target-sentences/(\d+)\.a(\d+)\.txt$")


def target_members(names: list[str]) -> list[str]:
    """The corrected-sentence files of the fluency track, one per document (its first annotator), sorted."""
    first: dict[str, tuple[int, str]] = {}
    for name in names:
        m = _TARGET.match(name)
        if m:
            doc, annotator = m.group(2), int(m.group(3))
            if doc not in first or annotator < first[doc][0]:
                first[doc] = (annotator, name)
    return [first[d][1] for d in sorted(first)]


def uagec_sentences(text: str, lang: str = "uk") -> list[str]:
    """Prose sentences of one target-sentences file (one sentence per line), in order."""
    return [s for s in (x.strip() for x in text.splitlines()) if is_prose(s, lang)]


def unpack_wheel(out: Path) -> tuple[Path, str] | None:
    """``pip download`` the pinned wheel and keep its chosen target files in ``out/ua-gec/``.

    The kept root and the version, or None (with a message) when pip cannot get the wheel.
    """
    import shutil

    keep = out / PACKAGE
    with tempfile.TemporaryDirectory(prefix="kenlm-text-") as tmp:
        got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                              "-d", tmp, f"{PACKAGE}=={VERSION}"], capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("ua_gec-*.whl"))
        if got.returncode != 0 or not wheels:
            print(f"kenlm text: pip download {PACKAGE}=={VERSION} failed: {got.stderr.strip()[-200:]}",
                  file=sys.stderr)
            return None
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        with zipfile.ZipFile(wheels[0]) as z:
            for name in target_members(z.namelist()):
                (keep / Path(name).name).write_bytes(z.read(name))
    (keep / "VERSION").write_text(VERSION + "\n", encoding="utf-8")
    return keep, VERSION


def uagec_files(root: Path) -> list[Path]:
    """The kept target-sentences files under ``root`` (sorted)."""
    return sorted(root.glob("*.a*.txt"))
