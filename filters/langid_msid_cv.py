"""Document-fold cross-validation of the Malay/Indonesian recipe over NTREX (never FLORES).

The fixed held-out NTREX split has 149 sentences per language: one sentence moves accuracy by
0.007, too coarse to choose a weight. Here every NTREX document is held out once (10 folds by
document, the same ``i % 10`` assignment as :mod:`filters.langid_train`): for each fold the ms/id
model is trained as :func:`filters.langid_msid_train.train` trains it and the markers derived
from the other nine folds only; every NTREX sentence (~2,000 per language) is then scored once.
The Tatoeba held-out fifth is scored by the fold-9 model (the shipped split). The evidence per
sentence (model log-odds, marker vote, wordfreq score, Malay-only word count) is kept, so any
weight is evaluated without retraining.

Usage (trainer environment, see ``scripts/setup.d/30-langid.sh``)::

    PYTHONPATH=.venv/share/curation/langid/_trainer .venv/bin/python -m filters.langid_msid_cv
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curation.assets import asset_dir
from filters import langid_train as shared
from filters.langid_labels import LABEL_PREFIX, label_to_code
from filters.langid_msid import (
    CURATED,
    DICT_WEIGHT,
    FREQ_NAME,
    FREQ_WEIGHT,
    MARKER_WEIGHT,
    derive_markers,
    pair_scores,
    read_markers,
)
from filters.langid_msid_dict import DICT_NAME, read_list, vote
from filters.langid_msid_freq import read_table
from filters.langid_msid_train import PARAMS, PER_LANGUAGE, tatoeba_split

FOLDS = 10
Evidence = tuple[float, int, float, int]  # model log-odds, marker vote, wordfreq score, Malay-only words


def ntrex_folds(data: Path, lang: str) -> list[tuple[int, str]]:
    """(fold, sentence) for every NTREX line of ``lang``; fold = document index mod 10."""
    docs = shared._ntrex_documents(data)
    fold = {d: i % FOLDS for i, d in enumerate(dict.fromkeys(docs))}
    path = data / "ntrex128" / f"newstest2019-ref.{shared.NTREX[lang]}.txt"
    return [(fold[d], shared.clean(t)) for t, d in zip(path.read_text(encoding="utf-8").splitlines(), docs)
            if t.strip()]


def accuracy(evidence: dict[str, list[Evidence]], marker_weight: float = MARKER_WEIGHT,
             freq_weight: float = FREQ_WEIGHT, dict_weight: float = DICT_WEIGHT) -> dict[str, float]:
    """Share of each set decided right with these weights (set names end in ``_ms`` or ``_id``)."""
    return {name: sum((lo + marker_weight * v + freq_weight * f + dict_weight * d > 0) == name.endswith("_ms")
                      for lo, v, f, d in rows) / len(rows) for name, rows in evidence.items()}


def collect(data: Path, assets: Path, folds: Sequence[int] = range(FOLDS)) -> dict[str, list[Evidence]]:
    """Train one model per fold and return the evidence for every held-out sentence."""
    import fasttext  # the full fastText (trainer environment)

    freq = read_table(assets / FREQ_NAME)
    ms_only = read_list(assets / DICT_NAME)
    lines = {lang: ntrex_folds(data, lang) for lang in ("ms", "id")}
    tatoeba = {lang: tatoeba_split(data, lang) for lang in ("ms", "id")}
    web_id = shared._sentences(data, "id")
    out: dict[str, list[Evidence]] = {"ntrex_ms": [], "ntrex_id": [], "tatoeba_ms": [], "tatoeba_id": []}
    for k in folds:
        train = {lang: [s for f, s in rows if f != k] for lang, rows in lines.items()}
        markers = read_markers(CURATED) | derive_markers(train["ms"], train["id"])
        sets = {"ms": train["ms"] + tatoeba["ms"][0], "id": train["id"] + tatoeba["id"][0] + web_id}
        rows = [f"{LABEL_PREFIX}{lang} {s}" for lang, v in sets.items() for s in shared.balance(v, PER_LANGUAGE, lang)]
        random.Random(0).shuffle(rows)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "train.txt"
            path.write_text("\n".join(rows) + "\n", encoding="utf-8")
            model = fasttext.train_supervised(input=str(path), **PARAMS)
            model.quantize(input=str(path), **shared.QUANTIZE)

        def evidence(sentences: list[str], model: Any = model, markers: Any = markers) -> list[Evidence]:
            ev = []
            for s in sentences:
                labels, scores = model.predict(s, k=-1)
                p_ms, p_id = pair_scores([label_to_code(x) for x in labels], scores)
                ev.append((math.log(p_ms + 1e-6) - math.log(p_id + 1e-6), markers.vote(s), freq.score(s),
                           vote(ms_only, s)))
            return ev

        for lang, rows_ in lines.items():
            out[f"ntrex_{lang}"] += evidence([s for f, s in rows_ if f == k])
        if k == FOLDS - 1:
            for lang, (_, held) in tatoeba.items():
                out[f"tatoeba_{lang}"] = evidence(held)
        print(f"langid cv: fold {k} done", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=shared.default_data_dir())
    ap.add_argument("--assets", type=Path, default=None, help="folder with the wordfreq table and Malay-only list")
    ap.add_argument("--dict-weights", default="0,2,4,6,8,12,16", help="comma-separated DICT_WEIGHT values to report")
    args = ap.parse_args(argv)
    evidence = collect(args.data, args.assets or asset_dir("langid"))
    print("dict_weight  " + "  ".join(evidence) + "  mean")
    for w in (float(x) for x in args.dict_weights.split(",")):
        acc = accuracy(evidence, dict_weight=w)
        print(f"{w:>11g}  " + "  ".join(f"{acc[k]:.4f}" for k in evidence) + f"  {statistics.mean(acc.values()):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
