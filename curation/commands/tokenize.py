"""``curate tokenize``: Parquet shards -> Megatron indexed datasets, one shard per Ray task.

Logic lives in ``curation.megatron.tokenize``; this module only parses arguments and fans the
shard tasks out over Ray (or runs them in-process with ``--runner local``), then merges.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from curation.commands.common import EXIT_FAILED, fail


def _run_tasks(tasks: list, runner: str, address: str | None, quiet: bool) -> list:
    from tqdm import tqdm

    from curation.megatron.tokenize import tokenize_shard

    bar = tqdm(total=len(tasks), unit="shard", desc=f"tokenize {runner}", file=sys.stderr, disable=quiet)
    results = []
    try:
        if runner == "local":
            for task in tasks:
                results.append(tokenize_shard(task))
                bar.update(1)
            return results
        import ray

        from curation.runners.ray_runner import connect

        connect(address)
        remote = ray.remote(num_cpus=1, max_retries=2)(tokenize_shard)
        pending = [remote.remote(t) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            results.extend(ray.get(done))
            bar.update(len(done))
        return results
    finally:
        bar.close()


def cmd_tokenize(args: argparse.Namespace) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from curation.megatron.hf_tokenizer import TokenizerError, find_eod, load_tokenizer
    from curation.megatron.tokenize import (
        COUNTS_FILE,
        ShardTask,
        TokenizeInputError,
        clear_scratch,
        merge_results,
        parse_inputs,
    )

    try:
        find_eod(load_tokenizer(args.tokenizer), args.eod_token)
        shards = parse_inputs(args.input)
    except (TokenizerError, TokenizeInputError) as err:
        return fail(str(err))
    out = Path(args.output).resolve()
    scratch = out / "_tmp" / f"tokenize-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True, exist_ok=True)
    tasks = [ShardTask(category=c, path=str(Path(p).resolve()), index=i, tokenizer=str(Path(args.tokenizer).resolve()),
                       scratch=str(scratch), append_eod=args.append_eod, eod_token=args.eod_token,
                       text_column=args.text_column)
             for i, (c, p) in enumerate(shards)]
    print(f"tokenize: {len(tasks)} shards -> {out}", file=sys.stderr)
    try:
        results = _run_tasks(tasks, args.runner, args.address, args.quiet)
        counts = merge_results(results, out, args.tokenizer, args.append_eod, args.eod_token)
    finally:
        clear_scratch(scratch)
        try:
            (out / "_tmp").rmdir()
        except OSError:
            pass
    for d in counts["datasets"]:
        print(f"{d['prefix']}: {d['documents']} documents, {d['tokens']} tokens", file=sys.stderr)
    if counts["errors"]:
        first = counts["errors"][0]
        return fail(f"{len(counts['errors'])} of {len(tasks)} shards failed, e.g. {first['path']}: {first['error']} "
                    f"(all in {out / COUNTS_FILE})", EXIT_FAILED)
    print(f"done: {len(counts['datasets'])} datasets, {sum(d['tokens'] for d in counts['datasets'])} tokens "
          f"({counts['dtype']}) -> {out / COUNTS_FILE}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tokenize", help="Parquet shards -> Megatron indexed datasets (.bin/.idx) per category/language")
    p.add_argument("--input", action="append", required=True, metavar="CATEGORY=PATH",
                   help="shards of one category (repeatable): a Parquet file, directory or glob, "
                        "e.g. web=out/demo/data parallel=out/bitext/data")
    p.add_argument("--tokenizer", required=True, help="Hugging Face tokenizer.json (or its directory), e.g. Qwen2's")
    p.add_argument("--output", required=True, metavar="DIR", help="writes DIR/<category>/<language>.{bin,idx} "
                   "and DIR/token_counts.json")
    p.add_argument("--append-eod", action="store_true", help="end every document with the end-of-document token")
    p.add_argument("--eod-token", help="end-of-document token (default: the first of <|endoftext|>, </s>, <eos>, ...)")
    p.add_argument("--text-column", default="text", help="column to tokenise (default: text)")
    p.add_argument("--runner", choices=["local", "ray"], default="ray", help="ray (default) or in-process")
    p.add_argument("--address", help="Ray address (host:port, auto, ray://...); default: embedded local Ray")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_tokenize)
