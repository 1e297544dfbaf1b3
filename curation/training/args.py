"""Each stage's full Megatron arguments, derived from the config and the mixture plan.

Iterations come from tokens: ``train_iters = ceil(tokens / (global_batch * seq_length))``, and the
10B-token warm-up likewise. Stage II loads Stage I's final checkpoint with ``--finetune`` (weights
only; iteration, optimizer and scheduler restart, so it warms up from 0 to its own peak).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from curation.training.config import TrainConfig, TrainConfigError

SCRIPT_MODULE = "curation.training.pretrain_gpt"


@dataclass(frozen=True)
class StagePlan:
    name: str
    tokens: float
    peak_lr: float
    min_lr: float
    train_iters: int
    warmup_iters: int
    tokens_per_iter: int
    save: str
    load: str | None
    finetune: bool
    data_path: list[str]
    args: list[str]


def _fmt(x: float) -> str:
    return f"{x:g}"


def load_plan(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise TrainConfigError(f"mixture plan not found: {p} (make it with curate mix)")
    return json.loads(p.read_text(encoding="utf-8"))


def model_args(cfg: TrainConfig) -> list[str]:
    m = cfg.model
    out = ["--num-layers", str(m.num_layers), "--hidden-size", str(m.hidden_size),
           "--ffn-hidden-size", str(m.ffn_hidden_size), "--num-attention-heads", str(m.num_attention_heads)]
    if m.num_query_groups:
        out += ["--group-query-attention", "--num-query-groups", str(m.num_query_groups)]
    out += ["--seq-length", str(m.seq_length), "--max-position-embeddings", str(m.max_position_embeddings),
            "--position-embedding-type", "rope", "--rotary-base", str(m.rotary_base),
            "--normalization", "RMSNorm", "--norm-epsilon", _fmt(m.norm_epsilon), "--swiglu",
            "--disable-bias-linear", "--make-vocab-size-divisible-by", str(m.make_vocab_size_divisible_by),
            "--attention-dropout", "0.0", "--hidden-dropout", "0.0"]
    if m.add_qkv_bias:
        out.append("--add-qkv-bias")
    if m.untie_embeddings:
        out.append("--untie-embeddings-and-output-weights")
    return out


def stage_plans(cfg: TrainConfig, plan: dict) -> list[StagePlan]:
    """Both stages in order; each later stage loads the previous one's checkpoint."""
    by_name = {s["name"]: s for s in plan["stages"]}
    per_iter = cfg.global_batch_size * cfg.model.seq_length
    dp = cfg.cluster.num_nodes * cfg.cluster.gpus_per_node // (cfg.parallel.tensor * cfg.parallel.pipeline
                                                                 * cfg.parallel.context)
    if dp < 1 or cfg.cluster.num_nodes * cfg.cluster.gpus_per_node % (
            cfg.parallel.tensor * cfg.parallel.pipeline * cfg.parallel.context):
        raise TrainConfigError("GPUs (num_nodes x gpus_per_node) must be a multiple of TP x PP x CP")
    if cfg.global_batch_size % (cfg.micro_batch_size * dp):
        raise TrainConfigError(f"global_batch_size {cfg.global_batch_size} must be a multiple of "
                               f"micro_batch_size x data-parallel size ({cfg.micro_batch_size} x {dp})")
    out: list[StagePlan] = []
    prev_save: str | None = None
    for st in cfg.stages:
        if st.name not in by_name:
            raise TrainConfigError(f"stage {st.name} is not in the mixture plan ({', '.join(by_name)})")
        ps = by_name[st.name]
        if not ps.get("data_path"):
            raise TrainConfigError(f"stage {st.name} of the plan has no --data-path (counts without prefixes)")
        tokens = st.tokens or float(ps["tokens"])
        train_iters = math.ceil(tokens / per_iter)
        warmup_iters = min(train_iters, math.ceil(cfg.optimizer.warmup_tokens / per_iter))
        min_lr = st.peak_lr * cfg.optimizer.min_lr_ratio
        save = os.path.join(cfg.checkpoint_dir, st.name)
        load = prev_save if prev_save else cfg.init_checkpoint
        finetune = load is not None  # a fresh schedule and optimizer on loaded weights
        o = cfg.optimizer
        args = model_args(cfg) + [
            "--tokenizer-type", "HuggingFaceTokenizer", "--tokenizer-model", cfg.tokenizer,
            "--micro-batch-size", str(cfg.micro_batch_size), "--global-batch-size", str(cfg.global_batch_size),
            "--train-iters", str(train_iters),
            "--lr", _fmt(st.peak_lr), "--min-lr", _fmt(min_lr), "--lr-decay-style", "cosine",
            "--lr-warmup-init", "0.0", "--lr-warmup-iters", str(warmup_iters), "--lr-decay-iters", str(train_iters),
            "--optimizer", "adam", "--adam-beta1", _fmt(o.adam_beta1), "--adam-beta2", _fmt(o.adam_beta2),
            "--adam-eps", _fmt(o.adam_eps), "--weight-decay", _fmt(o.weight_decay), "--clip-grad", _fmt(o.clip_grad),
            "--tensor-model-parallel-size", str(cfg.parallel.tensor),
            "--pipeline-model-parallel-size", str(cfg.parallel.pipeline),
            "--context-parallel-size", str(cfg.parallel.context),
            "--use-distributed-optimizer",
            "--data-path", *ps["data_path"], "--split", "100,0,0",
            "--data-cache-path", os.path.join(cfg.checkpoint_dir, "data-cache", st.name),
            "--save", save, "--save-interval", str(cfg.save_interval),
            "--log-interval", str(cfg.log_interval), "--seed", str(cfg.seed),
            "--peak-tflops-per-gpu", _fmt(cfg.peak_tflops_per_gpu),
        ]
        if cfg.bf16:
            args.append("--bf16")
        if load:
            args += ["--load", load]
        if finetune:
            args.append("--finetune")
        out.append(StagePlan(st.name, tokens, st.peak_lr, min_lr, train_iters, warmup_iters, per_iter, save, load,
                             finetune, list(ps["data_path"]), args))
        prev_save = save
    return out


def torchrun_command(cfg: TrainConfig, stage: StagePlan, node_rank: int | str, master_addr: str,
                     master_port: int | str, python: str = "python") -> list[str]:
    """One node's command: torchrun starts ``gpus_per_node`` ranks of the training script."""
    return [python, "-m", "torch.distributed.run", "--nnodes", str(cfg.cluster.num_nodes),
            "--nproc-per-node", str(cfg.cluster.gpus_per_node), "--node-rank", str(node_rank),
            "--master-addr", str(master_addr), "--master-port", str(master_port),
            "-m", SCRIPT_MODULE, *stage.args]


def describe(stage: StagePlan, cfg: TrainConfig) -> str:
    return (f"# {stage.name}: {stage.tokens:.4g} tokens = {stage.train_iters} iterations x {stage.tokens_per_iter} "
            f"tokens ({cfg.global_batch_size} x {cfg.model.seq_length}); peak LR {stage.peak_lr:g} -> min "
            f"{stage.min_lr:g} (cosine), warm-up {stage.warmup_iters} iterations from 0"
            + (f"; loads {stage.load}" if stage.load else ""))
