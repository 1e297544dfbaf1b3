"""Train the second-stage language-ID model (the confusion groups) from the shared data.

Training data, never FLORES (FLORES devtest is evaluation only, see bench/langid_eval.py):
- NTREX-128 references (news; also Hindi, Marathi and Punjabi as negatives), except every
  10th document, which is held out as a development set (:func:`heldout_sentences`);
- Tatoeba test sets for the languages it has (lines whose ``.labels`` tag matches);
- ``sentences/<code>.txt`` (lingua's web sentences; no Nepali there; its Malay file is
  left out, see ``SENTENCES_EXCLUDED``).

Training needs the full fastText (``fasttext-numpy2-wheel``), whose ``fasttext`` module would
clash with ``fasttext-predict`` (same module name) in the venv. ``scripts/setup.d/30-langid.sh``
installs it with ``pip --target`` into ``asset_dir("langid")/_trainer`` and runs this module
with that folder first on ``PYTHONPATH``; at run time ``fasttext-predict`` loads the model.

Usage: ``python -m filters.langid_train [--data DIR] [--out FILE] [--if-missing]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from curation.assets import asset_dir
from filters.langid_groups import SECOND_STAGE_LANGUAGES
from filters.langid_labels import LABEL_PREFIX

# Bump when the data recipe or hyper-parameters change: set-up then rebuilds the model.
# 3: adds the dedicated ms/id model and markers (filters/langid_msid_train.py); 4: the ms/id manifest
# records the evidence files (wordfreq table, Malay-only words) and their dev accuracy (same models)
RECIPE_VERSION = 4
MODEL_NAME = "second_stage.ftz"
HELDOUT_EVERY = 10  # every 10th NTREX document is held out (development set)
PER_LANGUAGE = 5000  # lines per language after balancing (repeat or subsample)
TATOEBA_CAP = 4000   # Tatoeba has up to 13k lines for some languages; keep the sources mixed

NTREX = {"ms": "msa", "id": "ind", "ne": "nep", "hi": "hin", "mr": "mar", "az": "aze-Latn", "tr": "tur",
         "zh": "zho_Hans", "ja": "jpn", "ur": "urd", "pa": "pan"}
# pair folder, file suffix, accepted .labels tags
TATOEBA = {"ms": ("eng-zsm_Latn", "zsm_Latn", ("zsm_Latn",)), "id": ("eng-ind", "ind", ("ind",)),
           "az": ("aze-eng", "aze", ("aze_Latn",)), "tr": ("eng-tur", "tur", ("tur",)),
           "zh": ("eng-cmn_Hans", "cmn_Hans", ("cmn_Hans",)),
           "ja": ("eng-jpn", "jpn", ("jpn_Hira", "jpn_Hani", "jpn_Kana", "jpn")),
           "ur": ("eng-urd", "urd", ("urd",))}

# fastText hyper-parameters: character n-grams carry the signal between close languages.
PARAMS: dict[str, Any] = {"dim": 64, "minn": 2, "maxn": 5, "wordNgrams": 2, "epoch": 15, "lr": 0.5,
                          "bucket": 400_000, "loss": "softmax", "minCount": 1, "thread": 1, "verbose": 0}
QUANTIZE: dict[str, Any] = {"qnorm": True, "retrain": False, "cutoff": 150_000, "dsub": 2}


def default_model_path() -> Path:
    return asset_dir("langid") / MODEL_NAME


def default_data_dir() -> Path:
    root = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("CURATION_SHARED", root.parent / "shared")) / "data"


def clean(line: str) -> str:
    """The same whitespace normalisation the identifier applies before predicting."""
    return " ".join(line.split())


def _ntrex_documents(data: Path) -> list[str]:
    return (data / "ntrex128" / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()


def _ntrex_split(data: Path, lang: str, heldout: bool) -> list[str]:
    docs = _ntrex_documents(data)
    order = list(dict.fromkeys(docs))
    held = {d for i, d in enumerate(order) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1}
    lines = (data / "ntrex128" / f"newstest2019-ref.{NTREX[lang]}.txt").read_text(encoding="utf-8").splitlines()
    if len(lines) != len(docs):
        raise ValueError(f"NTREX {lang}: {len(lines)} lines but {len(docs)} document ids")
    return [clean(t) for t, d in zip(lines, docs) if (d in held) == heldout and t.strip()]


def heldout_sentences(data: Path, lang: str) -> list[str]:
    """NTREX sentences of the held-out documents (never used in training)."""
    return _ntrex_split(data, lang, heldout=True)


def _tatoeba(data: Path, lang: str) -> list[str]:
    if lang not in TATOEBA:
        return []
    folder, suffix, tags = TATOEBA[lang]
    base = data / "tatoeba" / folder / f"tatoeba-test-v2021-08-07.{suffix}"
    lines = base.read_text(encoding="utf-8").splitlines()
    labels = Path(f"{base}.labels").read_text(encoding="utf-8").splitlines()
    out = [clean(t) for t, tag in zip(lines, labels) if tag.strip() in tags and t.strip()]
    return random.Random(lang).sample(out, min(len(out), TATOEBA_CAP))


# lingua's "Malay" sentences are mostly Indonesian (lid.176 calls 82% of them id, and reading
# them agrees: "bisa", "karena", Indonesian news sites); training on them teaches ms = id.
SENTENCES_EXCLUDED = {"ms"}


def _sentences(data: Path, lang: str) -> list[str]:
    path = data / "sentences" / f"{lang}.txt"
    if lang in SENTENCES_EXCLUDED or not path.exists():
        return []
    return [clean(t) for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]


def training_sentences(data: Path, lang: str) -> dict[str, list[str]]:
    """Per source, the training sentences of one language (FLORES is never read)."""
    return {"ntrex": _ntrex_split(data, lang, heldout=False), "tatoeba": _tatoeba(data, lang),
            "sentences": _sentences(data, lang)}


def balance(lines: list[str], n: int, seed: str) -> list[str]:
    """Exactly ``n`` lines: a seeded sample when there are more, whole repeats when fewer."""
    if not lines:
        raise ValueError(f"no training lines for {seed}")
    rng = random.Random(seed)
    if len(lines) >= n:
        return rng.sample(lines, n)
    out = lines * (n // len(lines)) + rng.sample(lines, n % len(lines))
    return out


def write_training_file(data: Path, path: Path, per_language: int = PER_LANGUAGE) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    rows: list[str] = []
    for lang in SECOND_STAGE_LANGUAGES:
        sources = training_sentences(data, lang)
        counts[lang] = {k: len(v) for k, v in sources.items()}
        pool = [s for v in sources.values() for s in v]
        rows += [f"{LABEL_PREFIX}{lang} {s}" for s in balance(pool, per_language, lang)]
    random.Random(0).shuffle(rows)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return counts


def heldout_accuracy(model: Any, data: Path) -> dict[str, float]:
    acc = {}
    for lang in SECOND_STAGE_LANGUAGES:
        lines = heldout_sentences(data, lang)
        hits = sum(model.predict(s, k=1)[0][0] == f"{LABEL_PREFIX}{lang}" for s in lines)
        acc[lang] = round(hits / len(lines), 4)
    return acc


def train(data: Path, out: Path, per_language: int = PER_LANGUAGE, params: dict[str, Any] | None = None,
          quantize: bool = True) -> dict[str, Any]:
    """Train, quantize, save to ``out`` and write ``out.json`` (sources, counts, held-out accuracy)."""
    import fasttext  # the full fastText (fasttext-numpy2-wheel), see the module docstring

    if not hasattr(fasttext, "train_supervised"):
        raise RuntimeError("this fasttext module cannot train (fasttext-predict?); "
                           "run through scripts/setup.d/30-langid.sh, which puts fasttext-numpy2-wheel first")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        counts = write_training_file(data, train_file, per_language)
        model = fasttext.train_supervised(input=str(train_file), **(params or PARAMS))
        if quantize:
            model.quantize(input=str(train_file), **QUANTIZE)
        partial = out.with_name(out.name + ".partial")
        model.save_model(str(partial))
        os.replace(partial, out)
    manifest = {"recipe_version": RECIPE_VERSION, "languages": list(SECOND_STAGE_LANGUAGES),
                "per_language": per_language, "sources": counts, "params": params or PARAMS,
                "quantized": quantize, "heldout_ntrex_accuracy": heldout_accuracy(model, data),
                "data": str(data)}
    Path(f"{out}.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def up_to_date(out: Path) -> bool:
    """Both models (shared second stage and ms/id, next to it) exist at this recipe version."""
    from filters.langid_msid import MODEL_NAME as MSID

    for model in (out, out.with_name(MSID)):
        meta = Path(f"{model}.json")
        if not model.exists() or not meta.exists():
            return False
        try:
            if json.loads(meta.read_text(encoding="utf-8")).get("recipe_version") != RECIPE_VERSION:
                return False
        except ValueError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data_dir(), help="the shared data folder")
    ap.add_argument("--out", type=Path, default=default_model_path())
    ap.add_argument("--if-missing", action="store_true", help="do nothing when an up-to-date model exists")
    args = ap.parse_args(argv)
    if args.if_missing and up_to_date(args.out):
        print(f"langid: second-stage model up to date at {args.out}", file=sys.stderr)
        return 0
    if not (args.data / "ntrex128").is_dir():
        print(f"langid: shared data not found at {args.data} (need ntrex128/, tatoeba/, sentences/)", file=sys.stderr)
        return 2
    manifest = train(args.data, args.out)
    from filters import langid_msid_train

    msid = langid_msid_train.train(args.data, args.out.parent)
    print(f"langid: ms/id model, held-out accuracy with markers {msid['dev_accuracy_with_markers']}", file=sys.stderr)
    worst = min(manifest["heldout_ntrex_accuracy"].items(), key=lambda kv: kv[1])
    print(f"langid: second-stage model -> {args.out} (held-out NTREX accuracy, worst {worst[0]} {worst[1]})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
