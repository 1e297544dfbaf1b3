"""Stop-word lists for the 29 languages (committed under ``filters/assets/stopwords``).

Sources (``filters/assets/stopwords/SOURCES.md`` has the details and licences):
- 25 languages: the stopwords-iso collection (MIT), as shipped by the ``stopwordsiso`` package.
- ``kk``, ``az``, ``ne``: not in stopwords-iso; ``ja``: its list holds words (あそこ, あっ, これ)
  that our script-run Japanese segmentation rarely produces, while the particles it does produce
  (は, を, に, が) are missing. These four are derived by
  frequency (``derive_by_frequency``) from NTREX-128 and ``shared/data/sentences`` (never FLORES,
  which is evaluation data).

Rebuild every list: ``.venv/bin/python -m filters.stopwords ../shared/data`` (needs
``pip install stopwordsiso``; a dev-time tool, not a runtime dependency).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from curation.config import TARGET_LANGUAGES
from filters.words import HIRAGANA, words

ASSET_DIR = Path(__file__).parent / "assets" / "stopwords"

# Languages whose lists are derived from frequencies, and the corpus files they come from.
NTREX_CODES = {"kk": "kaz", "az": "aze-Latn", "ne": "nep", "ja": "jpn"}
DERIVED_SIZE = {"kk": 120, "az": 120, "ne": 120, "ja": 60}


@lru_cache(maxsize=64)
def stopwords(lang: str) -> frozenset[str]:
    """The stop words of ``lang`` (lower-cased); an unknown language has none."""
    path = ASSET_DIR / f"{lang}.txt"
    if not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def derive_by_frequency(lines: Iterable[str], lang: str, size: int, min_sources: int = 1,
                        source_of: Iterable[int] | None = None) -> list[str]:
    """The ``size`` most frequent words of ``lines`` (by number of lines containing them).

    With ``source_of`` (a corpus index per line) a word must occur in ``min_sources`` corpora,
    which drops names that are frequent in one news set only.
    """
    df: Counter[str] = Counter()
    seen_in: dict[str, set[int]] = {}
    sources = list(source_of) if source_of is not None else None
    for i, line in enumerate(lines):
        for w in set(x.lower() for x in words(line, lang)):
            if w.isdigit():
                continue
            if lang == "ja" and not all(c in _HIRAGANA_SET for c in w):
                continue  # Japanese particles and endings are the hiragana runs
            df[w] += 1
            if sources is not None:
                seen_in.setdefault(w, set()).add(sources[i])
    ranked = [w for w, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))  # ties: alphabetical
              if sources is None or len(seen_in[w]) >= min_sources]
    return ranked[:size]


_HIRAGANA_SET = {chr(c) for c in range(ord(HIRAGANA[0]), ord(HIRAGANA[-1]) + 1)}


def _read_lines(path: Path) -> list[str]:
    return [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()] if path.is_file() else []


def build(data: Path, out: Path = ASSET_DIR) -> None:
    """Write ``<lang>.txt`` for the 29 languages from stopwords-iso and the shared corpora."""
    import stopwordsiso

    out.mkdir(parents=True, exist_ok=True)
    for lang in TARGET_LANGUAGES:
        if lang in NTREX_CODES:
            ntrex = _read_lines(data / "ntrex128" / f"newstest2019-ref.{NTREX_CODES[lang]}.txt")
            sent = _read_lines(data / "sentences" / f"{lang}.txt")
            lines, src = ntrex + sent, [0] * len(ntrex) + [1] * len(sent)
            need = 2 if ntrex and sent and lang != "ja" else 1
            chosen = derive_by_frequency(lines, lang, DERIVED_SIZE[lang], need, src)
            header = (f"# {lang}: the {len(chosen)} most frequent words (by line count) of NTREX-128 "
                      f"newstest2019-ref.{NTREX_CODES[lang]}" + (" and shared sentences/" if sent else "")
                      + (", present in both" if need == 2 else "") + "; derived by filters/stopwords.py")
        else:
            chosen = sorted(stopwordsiso.stopwords(lang))
            header = f"# {lang}: stopwords-iso {stopwordsiso.__name__} package list (MIT)"
        (out / f"{lang}.txt").write_text(header + "\n" + "\n".join(chosen) + "\n", encoding="utf-8")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
