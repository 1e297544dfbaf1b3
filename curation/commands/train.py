"""``curate train CONFIG``: Marco's two-stage continual pretraining as a Ray job on GPU nodes.

``--dry-run`` prints each stage's torchrun command with its full Megatron arguments and starts
nothing (no GPU, no Ray needed).
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from curation.commands.common import EXIT_FAILED, fail


def cmd_train(args: argparse.Namespace) -> int:
    from curation.training.args import describe, load_plan, stage_plans, torchrun_command
    from curation.training.config import TrainConfigError, load_train_config

    try:
        cfg = load_train_config(args.config, {"plan": args.plan, "tokenizer": args.tokenizer,
                                              "checkpoint_dir": args.checkpoint_dir}).resolve(Path.cwd())
        if args.address is not None:
            cfg = cfg.model_copy(update={"cluster": cfg.cluster.model_copy(update={"address": args.address})})
        stages = stage_plans(cfg, load_plan(cfg.plan))
    except TrainConfigError as err:
        return fail(str(err))
    if args.dry_run:
        for i, st in enumerate(stages):
            cmd = torchrun_command(cfg, st, "$NODE_RANK", "$MASTER_ADDR", "$MASTER_PORT")
            head, rest = cmd[:cmd.index("-m", 2) + 2], cmd[cmd.index("-m", 2) + 2:]
            lines, j = [], 0
            while j < len(rest):
                k = j + 1
                while k < len(rest) and not rest[k].startswith("--"):
                    k += 1
                lines.append(" ".join(shlex.quote(x) for x in rest[j:k]))
                j = k
            print(("\n" if i else "") + describe(st, cfg))
            print(" ".join(head) + " \\\n  " + " \\\n  ".join(lines))
        return 0
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from curation.training.ray_runner import TrainingFailed, run_stages

    try:
        run_stages(cfg, stages)
    except TrainingFailed as err:
        return fail(str(err), EXIT_FAILED)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="two-stage continual pretraining on megatron-core (Ray job on GPU nodes)")
    p.add_argument("config", help="training YAML, e.g. pipelines/configs/train_qwen2_7b.yaml")
    p.add_argument("--plan", help="mixture_plan.json from curate mix; replaces plan")
    p.add_argument("--tokenizer", help="tokenizer.json; replaces tokenizer")
    p.add_argument("--checkpoint-dir", help="replaces checkpoint_dir (must be shared by all nodes)")
    p.add_argument("--address", help="Ray address; replaces cluster.address")
    p.add_argument("--dry-run", action="store_true", help="print both stages' full Megatron arguments; run nothing")
    p.set_defaults(func=cmd_train)
