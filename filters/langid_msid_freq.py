"""Malay vs Indonesian word-frequency evidence from the ``wordfreq`` lists (built at set-up).

The dedicated ms/id fastText model learns from ~2,300 Malay lines, so a short Malay sentence
without a marker word is often called Indonesian. ``wordfreq`` (Robyn Speer et al.) ships
frequency lists for both standards, built from Wikipedia, OpenSubtitles and Twitter
(~29,000 Malay and ~31,000 Indonesian words): far more vocabulary than our training text.
A sentence's evidence is the sum, over its distinct words, of ``log f_ms(w) - log f_id(w)``,
each term clipped to ``±CLIP`` (one word cannot decide alone); a word missing from one list
counts at ``MISSING_BELOW`` nats under that list's smallest frequency, and a word in neither
list counts 0.

Licences: wordfreq's code is Apache-2.0, its data CC-BY-SA 4.0 (attribution: wordfreq 3.1.1,
https://github.com/rspeer/wordfreq; the lists derive from Wikipedia, OpenSubtitles 2018 and
Twitter). The derived table is built at set-up into ``asset_dir("langid")`` from the wheel
(``pip download --no-deps wordfreq==3.1.1``), never committed.

Constants chosen on held-out NTREX and Tatoeba, never FLORES (see ``FREQ_WEIGHT`` in
:mod:`filters.langid_msid`).
"""

from __future__ import annotations

import argparse
import gzip
import io
import math
import sys
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from filters.langid_msid import FREQ_NAME, words

WORDFREQ_VERSION = "3.1.1"
LISTS = {"ms": "wordfreq/data/small_ms.msgpack.gz", "id": "wordfreq/data/small_id.msgpack.gz"}
# Per-word clip of the log-frequency ratio, in nats. Held-out grid 2/3/4/6/8: 2 and 3 lose
# Malay accuracy, 4..8 equal within 0.001 of the mean; 6 kept. Our calibration.
CLIP = 6.0
# A word absent from one list is taken as this many nats below that list's smallest frequency
# (wordfreq lists stop at 1e-6). Held-out grid 0/1/2: 2 best by 0.001. Our calibration.
MISSING_BELOW = 2.0


def read_cb(raw: bytes) -> dict[str, float]:
    """wordfreq's ``cB`` format (a header, then bins of words at 10^(-i/100)) -> natural log freq."""
    import msgpack  # installed with Ray; only the set-up build reads msgpack

    data = msgpack.unpackb(gzip.decompress(raw), raw=False)
    if not data or not isinstance(data[0], dict) or data[0].get("format") != "cB":
        raise ValueError("not a wordfreq cB list")
    out: dict[str, float] = {}
    for i, bin_words in enumerate(data[1:], 1):
        for w in bin_words:
            out.setdefault(w, -i / 100 * math.log(10))
    return out


def build_table(wheel: Path, out: Path) -> int:
    """Write ``word TAB ln f_ms TAB ln f_id`` (empty where absent) from the wordfreq wheel."""
    with zipfile.ZipFile(wheel) as z:
        ms, ind = (read_cb(z.read(LISTS[lang])) for lang in ("ms", "id"))
    buf = io.StringIO()
    buf.write(f"# ms/id word frequencies from wordfreq {WORDFREQ_VERSION} (small_ms, small_id); "
              "data CC-BY-SA 4.0, code Apache-2.0; https://github.com/rspeer/wordfreq\n")
    for w in sorted(set(ms) | set(ind)):
        if "\t" in w or "\n" in w:
            continue
        a, b = ms.get(w), ind.get(w)
        buf.write(f"{w}\t{'' if a is None else f'{a:.4f}'}\t{'' if b is None else f'{b:.4f}'}\n")
    out.parent.mkdir(parents=True, exist_ok=True)  # a fresh venv has no asset folder yet
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(out)
    return len(set(ms) | set(ind))


@dataclass(frozen=True)
class FreqTable:
    malay: dict[str, float]
    indonesian: dict[str, float]

    @cached_property
    def floors(self) -> tuple[float, float]:
        """The smallest ln frequency of each list (computed once: the lists hold ~30,000 words)."""
        return min(self.malay.values(), default=0.0), min(self.indonesian.values(), default=0.0)

    def score(self, text: str, clip: float = CLIP, missing_below: float = MISSING_BELOW) -> float:
        """Clipped sum of ms-vs-id log-frequency ratios over the text's distinct words (>0: Malay)."""
        floor_ms, floor_id = (f - missing_below for f in self.floors)
        total = 0.0
        for w in words(text):
            a, b = self.malay.get(w), self.indonesian.get(w)
            if a is None and b is None:
                continue
            d = (floor_ms if a is None else a) - (floor_id if b is None else b)
            total += max(-clip, min(clip, d))
        return total


def read_table(path: Path) -> FreqTable:
    ms: dict[str, float] = {}
    ind: dict[str, float] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{n}: expected 'word\\tln f_ms\\tln f_id', got {line!r}")
        if parts[1]:
            ms[parts[0]] = float(parts[1])
        if parts[2]:
            ind[parts[0]] = float(parts[2])
    return FreqTable(ms, ind)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build the ms/id word-frequency table from the wordfreq wheel")
    ap.add_argument("--wheel", type=Path, required=True, help=f"wordfreq-{WORDFREQ_VERSION}-py3-none-any.whl")
    ap.add_argument("--out", type=Path, default=None, help=f"default: asset_dir('langid')/{FREQ_NAME}")
    args = ap.parse_args(argv)
    if args.out is None:
        from curation.assets import asset_dir

        args.out = asset_dir("langid") / FREQ_NAME
    try:
        n = build_table(args.wheel, args.out)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        print(f"langid: cannot build {args.out} from {args.wheel}: {e}", file=sys.stderr)
        return 2
    print(f"langid: {n} ms/id words -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
