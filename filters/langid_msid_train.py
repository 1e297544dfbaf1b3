"""Train the dedicated Malay/Indonesian model and derive the marker words (never from FLORES).

Data: NTREX-128 training documents (every 10th document held out, as for the shared second
stage), Tatoeba with a seeded fifth of each language held out, and lingua's Indonesian web
sentences (its Malay file is mostly Indonesian, see ``langid_train.SENTENCES_EXCLUDED``).
Both languages are balanced to ``PER_LANGUAGE`` lines (Malay, with ~2,300 lines, is repeated).
The held-out NTREX and Tatoeba lines are the development set on which the recipe was chosen;
the manifest reports accuracy on them, with and without the markers.

Called by :func:`filters.langid_train.main` (same trainer environment, see its docstring).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from filters import langid_train as shared
from filters.langid_labels import LABEL_PREFIX, label_to_code
from filters.langid_msid import (
    DERIVED_NAME,
    FREQ_NAME,
    MODEL_NAME,
    Markers,
    combine,
    derive_markers,
    load_markers,
    pair_scores,
    write_markers,
)
from filters.langid_msid_dict import DICT_NAME, read_list, vote
from filters.langid_msid_freq import FreqTable, read_table

PER_LANGUAGE = 6000
TATOEBA_HELDOUT = 5  # every 5th line of a seeded shuffle is held out
# The shared model's hyper-parameters with 30 epochs: 15 vs 30 measured on the held-out sets
# (30 slightly better for Malay). Our calibration.
PARAMS: dict[str, Any] = {**shared.PARAMS, "epoch": 30}


def tatoeba_split(data: Path, lang: str) -> tuple[list[str], list[str]]:
    """(training, held-out) Tatoeba lines of ``lang`` (a seeded fifth held out)."""
    folder, suffix, tags = shared.TATOEBA[lang]
    base = data / "tatoeba" / folder / f"tatoeba-test-v2021-08-07.{suffix}"
    lines = base.read_text(encoding="utf-8").splitlines()
    labels = Path(f"{base}.labels").read_text(encoding="utf-8").splitlines()
    # Tatoeba repeats some sentences: de-duplicate first so no held-out line is also trained on.
    out = list(dict.fromkeys(shared.clean(t) for t, tag in zip(lines, labels) if tag.strip() in tags and t.strip()))
    random.Random(lang).shuffle(out)
    k = len(out) // TATOEBA_HELDOUT
    return out[k:], out[:k]


def training_sets(data: Path) -> dict[str, list[str]]:
    ms = shared._ntrex_split(data, "ms", heldout=False) + tatoeba_split(data, "ms")[0]
    ind = (shared._ntrex_split(data, "id", heldout=False) + tatoeba_split(data, "id")[0]
           + shared._sentences(data, "id"))
    return {"ms": ms, "id": ind}


def dev_sets(data: Path) -> dict[str, dict[str, list[str]]]:
    return {src: {lang: (shared.heldout_sentences(data, lang) if src == "ntrex" else tatoeba_split(data, lang)[1])
                  for lang in ("ms", "id")} for src in ("ntrex", "tatoeba")}


def dev_accuracy(model: Any, markers: Markers | None, data: Path, freq: FreqTable | None = None,
                 ms_only: frozenset[str] = frozenset()) -> dict[str, float]:
    """ms/id accuracy on the four held-out sets: the model, plus markers, wordfreq and dictionary evidence."""
    acc = {}
    for src, sets in dev_sets(data).items():
        for lang, lines in sets.items():
            hits = 0
            for s in lines:
                labels, scores = model.predict(s, k=-1)
                p_ms, p_id = pair_scores([label_to_code(x) for x in labels], scores)
                if markers is not None:
                    p_ms, p_id = combine(p_ms, p_id, markers.vote(s), freq=freq.score(s) if freq else 0.0,
                                         dict_vote=vote(ms_only, s))
                hits += (p_ms > p_id) == (lang == "ms")
            acc[f"{src}_{lang}"] = round(hits / len(lines), 4)
    return acc


def _header(path: Path) -> str:
    """The ``# ...`` provenance line (source, version, licence) a built evidence file starts with."""
    with path.open(encoding="utf-8") as f:
        return f.readline().lstrip("# ").rstrip("\n")


def _entries(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and not line.startswith("#"))


def train(data: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``msid.ftz``, ``ms_id_markers.tsv`` and ``msid.ftz.json`` into ``out_dir``."""
    import fasttext  # the full fastText, see filters/langid_train.py

    out_dir.mkdir(parents=True, exist_ok=True)
    sets = training_sets(data)
    malay, indonesian = (shared._ntrex_split(data, lang, heldout=False) for lang in ("ms", "id"))
    derived = out_dir / DERIVED_NAME
    write_markers(derive_markers(malay, indonesian), derived,
                  "derived by filters/langid_msid_train.py from the NTREX-128 training documents (CC-BY-SA 4.0)")
    out = out_dir / MODEL_NAME
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        rows = [f"{LABEL_PREFIX}{lang} {s}" for lang, lines in sets.items()
                for s in shared.balance(lines, PER_LANGUAGE, lang)]
        random.Random(0).shuffle(rows)
        train_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
        model = fasttext.train_supervised(input=str(train_file), **PARAMS)
        model.quantize(input=str(train_file), **shared.QUANTIZE)
        partial = out.with_name(out.name + ".partial")
        model.save_model(str(partial))
        os.replace(partial, out)
    manifest = {"recipe_version": shared.RECIPE_VERSION, "per_language": PER_LANGUAGE, "params": PARAMS,
                "sources": {k: len(v) for k, v in sets.items()},
                "dev_accuracy_model": dev_accuracy(model, None, data),
                "dev_accuracy_with_markers": dev_accuracy(model, load_markers(derived), data)}
    freq = out_dir / FREQ_NAME  # built first by scripts/setup.d/30-langid.sh
    if freq.exists():
        manifest["dev_accuracy_with_wordfreq"] = dev_accuracy(model, load_markers(derived), data, read_table(freq))
        ms_only = out_dir / DICT_NAME  # also built first by scripts/setup.d/30-langid.sh
        if ms_only.exists():
            manifest["dev_accuracy_with_dictionary"] = dev_accuracy(model, load_markers(derived), data,
                                                                    read_table(freq), read_list(ms_only))
    manifest["evidence_sources"] = {path.name: {"provenance": _header(path), "entries": _entries(path)}
                                    for path in (freq, out_dir / DICT_NAME) if path.exists()}
    Path(f"{out}.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest
