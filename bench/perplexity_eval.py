"""Perplexity evaluation: AUC of KenLM perplexity separating clean from corrupted sentences.

What it measures
----------------
For every language with a model (default: the 29 models set-up builds; ``--model-dir`` for
others, e.g. CCNet's), the 1,012 FLORES-200 devtest sentences (never used for training) are
the clean class. Each clean sentence gives one corrupted sentence of each kind:

Corruptions come from ``filters/lm_corrupt.py`` (the same generator picks the default models'
vocabulary size on held-out lines of their training sources, never on FLORES):

* ``shuffled``: its words in random order (characters for zh/ja/th, which do not space words);
* ``chars``: 25% of its non-space characters replaced by characters drawn from the language's
  own FLORES text (same script, so not trivially out of vocabulary);
* ``other_lang``: a FLORES sentence of another of the 29 languages (cycled, so both
  same-script and other-script neighbours occur);
* ``boilerplate``: web boilerplate: a navigation menu built from the language's own words
  (``Home``-style title-cased items joined by ``|``/``»``, a year and ``©``; for zh/ja, which do
  not space words, items are two-character pieces of the text's letter runs, four for Thai), or
  an English cookie banner (alternating).

AUC = P(perplexity of a corrupted sentence > perplexity of a clean one), ties counted half
(Mann-Whitney). Target: AUC >= 0.95 for every language, all corruptions pooled. Also printed:
AUC per corruption kind, and the share of clean / corrupted sentences above the language's
default ``perplexity_high`` cutoff (calibrated on 8-line documents, so sentence-level shares
are indicative only).

``--baseline-dir DIR`` also scores the same sentences with another model set (e.g. a copy of the
previous default models) and adds its pooled and shuffled AUC and the change, same invocation.

Usage: ``.venv/bin/python bench/perplexity_eval.py [--model-dir DIR] [--baseline-dir DIR] [--lang xx ...]
[--no-write]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench._common import DATA, command_line, machine_line, md_table, now, update_results  # noqa: E402
from curation.config import TARGET_LANGUAGES  # noqa: E402
from filters.lm_corrupt import KINDS, auc, corrupt  # noqa: E402
from filters.lm_model import LanguageModel, available_languages, model_normalization  # noqa: E402
from filters.perplexity import default_model_dir  # noqa: E402
from filters.perplexity_calibration import load_thresholds, thresholds_for_models  # noqa: E402

SECTION = "Perplexity evaluation (bench/perplexity_eval.py)"
TARGET = 0.95
FLORES = {"en": "eng_Latn", "zh": "zho_Hans", "ar": "arb_Arab", "de": "deu_Latn", "es": "spa_Latn",
          "fr": "fra_Latn", "ko": "kor_Hang", "ja": "jpn_Jpan", "pt": "por_Latn", "tr": "tur_Latn",
          "bn": "ben_Beng", "he": "heb_Hebr", "id": "ind_Latn", "it": "ita_Latn", "ms": "zsm_Latn",
          "nl": "nld_Latn", "pl": "pol_Latn", "ru": "rus_Cyrl", "th": "tha_Thai", "uk": "ukr_Cyrl",
          "ur": "urd_Arab", "vi": "vie_Latn", "cs": "ces_Latn", "el": "ell_Grek", "hu": "hun_Latn",
          "kk": "kaz_Cyrl", "ro": "ron_Latn", "az": "azj_Latn", "ne": "npi_Deva"}


def flores(lang: str) -> list[str]:
    return (DATA / "flores200" / f"{FLORES[lang]}.devtest").read_text(encoding="utf-8").splitlines()


def baseline_cells(model_dir: Path, lang: str, clean: list[str], all_clean: dict[str, list[str]], ours: float,
                   have: set[str]) -> list[str]:
    """Pooled and shuffled AUC of another model set on the same sentences, and the pooled change."""
    if lang not in have:
        return ["", "", ""]
    lm = LanguageModel(model_dir, lang, "read")
    neg = [lm.document_perplexity(s) for s in clean]
    kinds = corrupt(lang, clean, all_clean)
    pooled = auc(neg, [lm.document_perplexity(s) for k in KINDS for s in kinds[k]])
    shuffled = auc(neg, [lm.document_perplexity(s) for s in kinds["shuffled"]])
    return [f"{pooled:.4f}", f"{shuffled:.4f}", f"{ours - pooled:+.4f}"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=default_model_dir())
    ap.add_argument("--lang", action="append")
    ap.add_argument("--baseline-dir", type=Path, help="another model set scored on the same sentences")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    base_have = set(available_languages(args.baseline_dir)) if args.baseline_dir else set()
    have = set(available_languages(args.model_dir))
    langs = [x for x in (args.lang or TARGET_LANGUAGES) if x in have]
    if not langs:
        print(f"no models in {args.model_dir}: run scripts/setup.sh", file=sys.stderr)
        return 2
    # The thresholds the stage would apply to these models (beside them, or the committed record
    # of the same recipe); none for foreign models.
    cut_path = thresholds_for_models(args.model_dir.resolve())
    cutoffs = load_thresholds(cut_path) if cut_path else {}
    all_clean = {x: flores(x) for x in TARGET_LANGUAGES}
    started, machine, t0 = now(), machine_line(), time.perf_counter()
    rows, fails, n_scored = [], [], 0
    for lang in langs:
        lm = LanguageModel(args.model_dir, lang, "read")
        clean = all_clean[lang]
        neg = np.array([lm.document_perplexity(s) for s in clean])
        cut = cutoffs.get(lang, {}).get("cutoff")
        per_kind, pooled = {}, []
        for kind, sents in corrupt(lang, clean, all_clean).items():
            pos = np.array([lm.document_perplexity(s) for s in sents])
            per_kind[kind] = (auc(neg, pos), float((pos > cut).mean()) if cut else None)
            pooled.append(pos)
        n_scored += len(clean) * (1 + len(KINDS))
        pos_all = np.concatenate(pooled)
        a = auc(neg, pos_all)
        if a < TARGET:
            fails.append(lang)
        rows.append([lang, len(clean), f"**{a:.4f}**" if a < TARGET else f"{a:.4f}",
                     *(f"{per_kind[k][0]:.4f}" for k in KINDS), f"{np.median(neg):.0f}",
                     f"{(neg > cut).mean():.3f}" if cut else "", f"{(pos_all > cut).mean():.3f}" if cut else ""])
        if args.baseline_dir:
            rows[-1] += baseline_cells(args.baseline_dir, lang, clean, all_clean, a, base_have)
        print(f"{lang}: AUC {a:.4f} " + " ".join(f"{k}={per_kind[k][0]:.3f}" for k in KINDS), file=sys.stderr)
    elapsed = time.perf_counter() - t0
    aucs = [float(r[2].strip("*")) for r in rows]
    verdict = (f"**{'PASS' if not fails else 'FAIL'}: AUC >= {TARGET} for {len(langs) - len(fails)} of {len(langs)} "
               f"languages with a model** (min {min(aucs):.4f}, median {float(np.median(aucs)):.4f}"
               + (f"; below target: {', '.join(fails)}" if fails else "") + ")")
    body = "\n".join([
        f"- date: {started}", f"- machine: {machine}", f"- command: `{command_line()}`",
        f"- models: `{args.model_dir}` ({len(langs)} languages); scoring = `filters.lm_model.LanguageModel."
        "document_perplexity` (normalisation, SentencePiece, KenLM, 10^(-Σlog10/Σtokens)); normalisation: "
        "CCNet's, except models recording `keep_marks` (`<lang>.norm.json`): "
        + (", ".join(x for x in langs if model_normalization(args.model_dir, x) != "ccnet") or "none"),
        "- clean: FLORES-200 devtest (1,012 sentences per language; not in any training text); one corrupted "
        "sentence per clean sentence and kind: `shuffled` (words; characters for zh/ja/th), `chars` (25% of "
        "characters replaced from the language's own alphabet), `other_lang` (a FLORES line of another of "
        "the 29 languages, cycled), `boilerplate` (menu of the language's own words with `|`/`»`/`©`, "
        "items of 2 characters for zh/ja and 4 for th; alternating with an English cookie banner)",
        "- AUC = P(ppl corrupted > ppl clean), ties half; `pooled` = all four kinds against clean",
        "- `clean>cut`, `corrupt>cut`: share above the default `perplexity_high` cutoff "
        f"(`{cut_path}`, calibrated on 8-line documents, so per-sentence shares "
        f"are indicative); {n_scored:,} sentences scored in {elapsed:.1f} s",
        *([f"- baseline: `{args.baseline_dir}` scored on the same sentences in this invocation; Δ = ours - baseline"]
          if args.baseline_dir else []),
        "", md_table(["lang", "clean", "AUC pooled", *KINDS, "median ppl clean", "clean>cut", "corrupt>cut",
                      *(["baseline pooled", "baseline shuffled", "Δ pooled"] if args.baseline_dir else [])], rows),
        "", verdict])
    print(body)
    if not args.no_write:
        update_results(SECTION, body)
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
