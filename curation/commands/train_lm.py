"""``curate train-lm``: train a CCNet-compatible SentencePiece + KenLM model for one language.

Its flags reproduce what the default build (``filters.lm_default_models``) does for one language:
``--own-script --vocab-size <vocab_size + 256> --normalisation <normalization> --character-coverage
<character_coverage> --model-type <sp_model_type>``, the values in the models' manifest.
"""

from __future__ import annotations

import argparse
import sys

from curation.commands.common import EXIT_FAILED, fail

MODEL_TYPES = ("unigram", "bpe")  # CCNet's unigram; bpe: a candidate of the default build (lm_default_models)
COVERAGE_RANGE = (0.98, 1.0)  # what SentencePiece's trainer accepts


def option_error(args: argparse.Namespace) -> str | None:
    """The first bad --model-type / --normalisation / --character-coverage value, said in one line."""
    from filters.normalize import NORMALIZATIONS

    if args.model_type not in MODEL_TYPES:
        return f"--model-type must be one of {', '.join(MODEL_TYPES)}, got {args.model_type!r}"
    if args.normalisation not in NORMALIZATIONS:
        return f"--normalisation must be one of {', '.join(NORMALIZATIONS)}, got {args.normalisation!r}"
    if args.character_coverage is not None:
        lo, hi = COVERAGE_RANGE
        try:
            cov = float(args.character_coverage)
        except ValueError:
            cov = float("nan")
        if not lo <= cov <= hi:
            return f"--character-coverage must be a number from {lo} to {hi}, got {args.character_coverage!r}"
    return None


def cmd_train_lm(args: argparse.Namespace) -> int:
    from filters.lm_train import LMToolMissing, read_lines, train_lm

    bad = option_error(args)
    if bad:
        return fail(bad)
    coverage = None if args.character_coverage is None else float(args.character_coverage)
    try:
        lines = read_lines(args.text)
    except FileNotFoundError as err:
        return fail(str(err))
    print(f"train-lm {args.lang}: {len(lines)} lines from {len(args.text)} file(s); "
          f"SentencePiece {args.model_type} (vocab <= {args.vocab_size}, {args.normalisation} normalisation), "
          f"lmplz -o {args.order} -S {args.memory}",
          file=sys.stderr)
    try:
        scripts = None
        if args.own_script:
            from filters.lm_script import own_scripts

            scripts = own_scripts(args.lang)
        res = train_lm(args.lang, lines, args.out, order=args.order, vocab_size=args.vocab_size,
                       memory=args.memory, threads=args.threads, scripts=scripts, byte_fallback=args.own_script,
                       normalization=args.normalisation, character_coverage=coverage, sp_type=args.model_type)
    except LMToolMissing as err:
        return fail(str(err), EXIT_FAILED)
    except ValueError as err:
        return fail(str(err))
    print(f"done: {res.lm_path} and {res.sp_path} ({res.n_lines} lines, {res.n_tokens} tokens)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-lm", help="train a KenLM + SentencePiece model (CCNet recipe) for one language")
    p.add_argument("--lang", required=True, help="language code; output files are <lang>.sp.model, <lang>.arpa.bin")
    p.add_argument("--text", required=True, nargs="+", metavar="FILE", help="training text, one sentence per line")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--order", type=int, default=5, help="n-gram order (CCNet: 5)")
    p.add_argument("--vocab-size", type=int, default=8000,
                   help="SentencePiece vocabulary cap (soft on small text; CCNet used 65536 on Wikipedia)")
    p.add_argument("--memory", default="1G", help="lmplz -S memory cap (its default is 80%% of RAM)")
    p.add_argument("--threads", type=int, default=1, help="SentencePiece training threads")
    p.add_argument("--own-script", action="store_true",
                   help="the default models' recipe: train on the language's own script only and fall back to "
                        "byte pieces (foreign text costs <unk> per byte; the vocabulary also holds 256 byte pieces)")
    p.add_argument("--model-type", default="unigram", metavar="{unigram,bpe}",
                   help="SentencePiece model type: CCNet's unigram (default) or bpe (the default build tries both "
                        "and keeps the one that validates best)")
    p.add_argument("--normalisation", default="ccnet", metavar="{ccnet,keep_marks}",
                   help="CCNet's normalisation (default) or keep_marks (nonspacing marks kept, NFC; recorded in "
                        "<lang>.norm.json beside the model, which the scorer reads)")
    p.add_argument("--character-coverage", metavar="F",
                   help="SentencePiece character coverage, 0.98-1.0 (default: 1.0 with --own-script, else 0.9999)")
    p.set_defaults(func=cmd_train_lm)
