"""``curate train-lm``: train a CCNet-compatible SentencePiece + KenLM model for one language."""

from __future__ import annotations

import argparse
import sys

from curation.commands.common import EXIT_FAILED, fail


def cmd_train_lm(args: argparse.Namespace) -> int:
    from filters.lm_train import LMToolMissing, read_lines, train_lm

    try:
        lines = read_lines(args.text)
    except FileNotFoundError as err:
        return fail(str(err))
    print(f"train-lm {args.lang}: {len(lines)} lines from {len(args.text)} file(s); "
          f"SentencePiece (vocab <= {args.vocab_size}) then lmplz -o {args.order} -S {args.memory}",
          file=sys.stderr)
    try:
        scripts = None
        if args.own_script:
            from filters.lm_script import own_scripts

            scripts = own_scripts(args.lang)
        res = train_lm(args.lang, lines, args.out, order=args.order, vocab_size=args.vocab_size,
                       memory=args.memory, threads=args.threads, scripts=scripts, byte_fallback=args.own_script)
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
    p.set_defaults(func=cmd_train_lm)
