"""``curate calibrate --sample DIR --out thresholds.yaml``: per-language quality thresholds."""

from __future__ import annotations

import argparse
from pathlib import Path

from curation.commands.common import fail


def cmd_calibrate(args: argparse.Namespace) -> int:
    from filters.calibrate import Doc, calibrate, load_sample, pseudo_documents, score_languages, write_thresholds

    docs: list[Doc] = []
    scores: dict[str, list[float]] = {}
    try:
        for sample in args.sample:
            loaded, sample_scores = load_sample(sample)
            docs.extend(loaded)
            for lang, values in sample_scores.items():
                scores.setdefault(lang, []).extend(values)
    except FileNotFoundError as err:
        return fail(str(err))
    if args.exclude_source:
        held_out = {f"web:{name}" for name in args.exclude_source}
        docs = [d for d in docs if d.provenance not in held_out]
    if args.pseudo_docs:
        if not Path(args.pseudo_docs).is_dir():
            return fail(f"--pseudo-docs: not a directory: {args.pseudo_docs}")
        extra = pseudo_documents(args.pseudo_docs)
        score_languages(extra)
        for doc in extra:
            if doc.language_score is not None:
                scores.setdefault(doc.language, []).append(doc.language_score)
        docs.extend(extra)
    if not docs:
        return fail("the sample holds no documents with text and a language")
    sources = [str(s) for s in args.sample] + ([f"pseudo-docs {args.pseudo_docs}"] if args.pseudo_docs else [])
    if args.exclude_source:
        sources.append("excluding " + ", ".join(args.exclude_source))
    result = calibrate(docs, scores, min_docs=args.min_docs, percentile=args.percentile, fence=args.fence,
                       source="; ".join(sources), progress=True)
    write_thresholds(result, args.out)
    own = sum(1 for e in result["languages"].values() if e.get("calibrated_on") == "own")
    print(f"wrote {args.out}: {len(result['languages'])} languages ({own} on their own documents), "
          f"{len(docs)} documents")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="per-language quality thresholds from a run's signal distributions")
    p.add_argument("--sample", action="append", required=True,
                   help="output directory of a run (data/ + rejected/); repeatable")
    p.add_argument("--out", required=True, help="thresholds YAML to write (quality.thresholds_path reads it)")
    p.add_argument("--pseudo-docs", help="shared data dir: add NTREX-128 articles and sentences/ as documents")
    p.add_argument("--exclude-source", action="append", default=[],
                   help="leave out web documents of this input file stem (e.g. a held-out test set); repeatable")
    p.add_argument("--min-docs", type=int, default=50,
                   help="below this many documents a language uses its script group's pool (default 50)")
    p.add_argument("--percentile", type=float, default=99.0, help="bad-side percentile (default 99)")
    p.add_argument("--fence", type=float, default=1.5, help="Tukey fence multiplier (default 1.5)")
    p.set_defaults(func=cmd_calibrate)
