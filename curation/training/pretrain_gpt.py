"""The training script torchrun runs on every GPU: one stage of continual pretraining on megatron-core.

It takes the Megatron-LM argument names that ``curation.training.args`` prints (a subset), builds
a GPTModel (Transformer Engine layers when installed, megatron-core's local layers otherwise),
wraps it in megatron-core DDP with the distributed optimizer, reads the plan's blend through
BlendedMegatronDatasetBuilder, and logs loss, LR, tokens/s and MFU. ``--load`` with
``--finetune`` takes only the weights (Stage II from Stage I). Needs CUDA: megatron-core has no
CPU training path.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pretrain_gpt", allow_abbrev=False)
    a = p.add_argument
    for name in ("--num-layers", "--hidden-size", "--ffn-hidden-size", "--num-attention-heads", "--num-query-groups",
                 "--seq-length", "--max-position-embeddings", "--rotary-base", "--make-vocab-size-divisible-by",
                 "--micro-batch-size", "--global-batch-size", "--train-iters", "--lr-warmup-iters", "--lr-decay-iters",
                 "--tensor-model-parallel-size", "--pipeline-model-parallel-size", "--context-parallel-size",
                 "--save-interval", "--log-interval", "--seed"):
        a(name, type=int, required=name not in ("--num-query-groups",))
    for name in ("--norm-epsilon", "--attention-dropout", "--hidden-dropout", "--lr", "--min-lr",
                 "--lr-warmup-init", "--adam-beta1", "--adam-beta2", "--adam-eps", "--weight-decay", "--clip-grad",
                 "--peak-tflops-per-gpu"):
        a(name, type=float, required=True)
    a("--position-embedding-type", choices=["rope"], required=True)
    a("--normalization", choices=["RMSNorm", "LayerNorm"], required=True)
    a("--lr-decay-style", choices=["cosine", "linear", "constant"], required=True)
    a("--optimizer", choices=["adam"], required=True)
    a("--tokenizer-type", choices=["HuggingFaceTokenizer"], required=True)
    a("--tokenizer-model", required=True)
    a("--data-path", nargs="+", required=True)
    a("--split", default="100,0,0")
    a("--data-cache-path")
    a("--save", required=True)
    a("--load")
    for flag in ("--group-query-attention", "--swiglu", "--disable-bias-linear", "--add-qkv-bias",
                 "--untie-embeddings-and-output-weights", "--use-distributed-optimizer", "--bf16", "--finetune"):
        a(flag, action="store_true")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.split.split(",")[0] in ("", "0"):
        raise SystemExit("pretrain_gpt: --split must give the train split a share")
    return args


def padded_vocab(n: int, divisible_by: int, tp: int) -> int:
    m = divisible_by * tp
    return int(math.ceil(n / m) * m)


def flops_per_token(args: argparse.Namespace, vocab: int) -> float:
    """Training FLOPs per token (forward + backward = 3x forward): dense matmuls + attention + logits."""
    h, f, layers, s = args.hidden_size, args.ffn_hidden_size, args.num_layers, args.seq_length
    kv = (args.num_query_groups or args.num_attention_heads) / args.num_attention_heads
    per_layer = 2 * (h * h * (2 + 2 * kv) + 3 * h * f) + 2 * 2 * s * h  # qkv+proj, swiglu mlp, scores+values
    return 3 * (layers * per_layer + 2 * h * vocab)


def _latest(ckpt_dir: str) -> tuple[Path, int] | None:
    marker = Path(ckpt_dir) / "latest_checkpointed_iteration.txt"
    if not marker.is_file():
        return None
    it = int(marker.read_text().strip())
    return Path(ckpt_dir) / f"iter_{it:07d}", it


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - needs GPUs (tests/test_train_gpu.py)
    args = parse_args(argv)
    import torch
    import torch.nn.functional as F  # noqa: N812
    from megatron.core import dist_checkpointing, parallel_state, tensor_parallel
    from megatron.core.distributed import DistributedDataParallel, DistributedDataParallelConfig, finalize_model_grads
    from megatron.core.models.gpt import GPTModel
    from megatron.core.optimizer import OptimizerConfig, get_megatron_optimizer
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler
    from megatron.core.pipeline_parallel import get_forward_backward_func
    from megatron.core.transformer import TransformerConfig

    from curation.megatron.datasets import build_train_dataset, gpt_config, parse_data_path
    from curation.megatron.hf_tokenizer import HFTokenizer

    if not torch.cuda.is_available():
        raise SystemExit("pretrain_gpt: needs CUDA GPUs (megatron-core has no CPU training path)")
    torch.distributed.init_process_group("nccl")
    rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    tp, pp, cp = args.tensor_model_parallel_size, args.pipeline_model_parallel_size, args.context_parallel_size
    parallel_state.initialize_model_parallel(tp, pp, context_parallel_size=cp)
    tensor_parallel.model_parallel_cuda_manual_seed(args.seed)
    dp = parallel_state.get_data_parallel_world_size()
    dp_rank = parallel_state.get_data_parallel_rank()
    n_micro = args.global_batch_size // (args.micro_batch_size * dp)

    tok = HFTokenizer(args.tokenizer_model)
    vocab = padded_vocab(tok.vocab_size, args.make_vocab_size_divisible_by, tp)
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    config = TransformerConfig(
        num_layers=args.num_layers, hidden_size=args.hidden_size, ffn_hidden_size=args.ffn_hidden_size,
        num_attention_heads=args.num_attention_heads,
        num_query_groups=args.num_query_groups if args.group_query_attention else None,
        gated_linear_unit=args.swiglu, activation_func=F.silu if args.swiglu else F.gelu,
        normalization=args.normalization, layernorm_epsilon=args.norm_epsilon,
        add_bias_linear=not args.disable_bias_linear, add_qkv_bias=args.add_qkv_bias,
        attention_dropout=args.attention_dropout, hidden_dropout=args.hidden_dropout,
        tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp, context_parallel_size=cp,
        sequence_parallel=tp > 1, bf16=args.bf16, params_dtype=dtype, pipeline_dtype=dtype,
        variable_seq_lengths=False, init_method_std=0.02,
    )
    try:
        import transformer_engine  # noqa: F401
        from megatron.core.models.gpt.gpt_layer_specs import get_gpt_layer_with_transformer_engine_spec

        spec = get_gpt_layer_with_transformer_engine_spec()
    except ImportError:
        from megatron.core.models.gpt.gpt_layer_specs import get_gpt_layer_local_spec

        spec = get_gpt_layer_local_spec(normalization=args.normalization)
    model = GPTModel(config, spec, vocab_size=vocab, max_sequence_length=args.max_position_embeddings,
                     pre_process=parallel_state.is_pipeline_first_stage(),
                     post_process=parallel_state.is_pipeline_last_stage(),
                     share_embeddings_and_output_weights=not args.untie_embeddings_and_output_weights,
                     position_embedding_type=args.position_embedding_type, rotary_base=args.rotary_base).cuda()
    ddp_config = DistributedDataParallelConfig(grad_reduce_in_fp32=True, overlap_grad_reduce=False,
                                               use_distributed_optimizer=args.use_distributed_optimizer)
    ddp = DistributedDataParallel(config, ddp_config, model)
    config.no_sync_func = ddp.no_sync
    config.finalize_model_grads_func = finalize_model_grads
    optimizer = get_megatron_optimizer(OptimizerConfig(
        optimizer="adam", lr=args.lr, min_lr=args.min_lr, weight_decay=args.weight_decay,
        adam_beta1=args.adam_beta1, adam_beta2=args.adam_beta2, adam_eps=args.adam_eps, clip_grad=args.clip_grad,
        bf16=args.bf16, params_dtype=dtype, use_distributed_optimizer=args.use_distributed_optimizer), [ddp])
    gbs = args.global_batch_size
    scheduler = OptimizerParamScheduler(
        optimizer, init_lr=args.lr_warmup_init, max_lr=args.lr, min_lr=args.min_lr,
        lr_warmup_steps=args.lr_warmup_iters * gbs, lr_decay_steps=args.lr_decay_iters * gbs,
        lr_decay_style=args.lr_decay_style, start_wd=args.weight_decay, end_wd=args.weight_decay,
        wd_incr_steps=args.train_iters * gbs, wd_incr_style="constant")

    start = 0
    if args.load:
        found = _latest(args.load)
        if found is None:
            raise SystemExit(f"pretrain_gpt: no checkpoint under --load {args.load}")
        path, it = found
        state = {"model": ddp.module.sharded_state_dict()}
        if not args.finetune:
            state["optimizer"] = optimizer.sharded_state_dict(state["model"])
        loaded = dist_checkpointing.load(state, str(path))
        ddp.module.load_state_dict(loaded["model"])
        if not args.finetune:
            optimizer.load_state_dict(loaded["optimizer"])
            scheduler.load_state_dict(loaded["scheduler"])
            start = it
        if rank == 0:
            print(f"loaded {path} ({'weights only, fresh schedule' if args.finetune else 'resuming'})", flush=True)

    def built_here() -> bool:
        return parallel_state.get_tensor_model_parallel_rank() == 0

    blend = parse_data_path(args.data_path)
    ds_cfg = gpt_config(blend, args.seq_length, tok, seed=args.seed, cache=args.data_cache_path)
    train_ds = build_train_dataset(ds_cfg, args.train_iters * gbs, built_here)

    def batches(iteration: int) -> Iterator[dict]:
        base = iteration * gbs + dp_rank * args.micro_batch_size * n_micro
        for m in range(n_micro):
            idx = range(base + m * args.micro_batch_size, base + (m + 1) * args.micro_batch_size)
            samples = [train_ds[i] for i in idx] if train_ds is not None else None
            batch = {k: torch.stack([torch.as_tensor(s[k]) for s in samples]).cuda(non_blocking=True)
                     for k in ("tokens", "labels", "loss_mask", "position_ids")} if samples else {}
            yield batch

    def loss_func(loss_mask: torch.Tensor, output: torch.Tensor) -> tuple:
        losses = output.float().view(-1)
        mask = loss_mask.view(-1).float()
        total = torch.sum(losses * mask)
        count = mask.sum()
        reporting = torch.stack([total.detach(), count.detach()])
        dp_group = parallel_state.get_data_parallel_group(with_context_parallel=True)
        torch.distributed.all_reduce(reporting, group=dp_group)
        # A summed loss with its token count: the schedule divides by the count (Megatron-LM's form).
        return total * cp, count.int(), {"lm loss": reporting}

    def forward_step(data_iter: Iterator[dict], model_: torch.nn.Module) -> tuple:
        b = next(data_iter)
        out = model_(b.get("tokens"), b.get("position_ids"), None, labels=b.get("labels"))
        return out, partial(loss_func, b.get("loss_mask"))

    fwd_bwd = get_forward_backward_func()
    fpt = flops_per_token(args, vocab)
    log_path = Path(args.save) / "train_log.jsonl"
    if rank == 0:
        log_path.parent.mkdir(parents=True, exist_ok=True)

    def save(iteration: int) -> None:
        target = Path(args.save) / f"iter_{iteration:07d}"
        model_sd = ddp.module.sharded_state_dict()
        if rank == 0:
            target.mkdir(parents=True, exist_ok=True)
        torch.distributed.barrier()
        dist_checkpointing.save({"model": model_sd, "optimizer": optimizer.sharded_state_dict(model_sd),
                                 "scheduler": scheduler.state_dict(), "iteration": iteration}, str(target))
        torch.distributed.barrier()
        if rank == 0:
            (Path(args.save) / "latest_checkpointed_iteration.txt").write_text(f"{iteration}\n")

    tick, tokens_since = time.time(), 0
    for iteration in range(start, args.train_iters):
        ddp.zero_grad_buffer()
        optimizer.zero_grad()
        losses = fwd_bwd(forward_step_func=forward_step, data_iterator=batches(iteration), model=[ddp],
                         num_microbatches=n_micro, seq_length=args.seq_length, micro_batch_size=args.micro_batch_size,
                         forward_only=False)
        _ok, grad_norm, _ = optimizer.step()
        scheduler.step(increment=gbs)
        tokens_since += gbs * args.seq_length
        if (iteration + 1) % args.log_interval == 0 or iteration + 1 == args.train_iters:
            torch.cuda.synchronize()
            dt = time.time() - tick
            if parallel_state.is_pipeline_last_stage() and losses:
                rep = sum(x["lm loss"] for x in losses)
                loss = float(rep[0] / rep[1])
            else:
                loss = float("nan")
            tps = tokens_since / dt
            row = {"iteration": iteration + 1, "loss": loss, "lr": optimizer.param_groups[0]["lr"],
                   "grad_norm": float(grad_norm) if grad_norm is not None else None, "tokens_per_s": tps,
                   "mfu": tps * fpt / (world * args.peak_tflops_per_gpu * 1e12)}
            if parallel_state.is_pipeline_last_stage() and dp_rank == 0 and \
                    parallel_state.get_tensor_model_parallel_rank() == 0:
                print(json.dumps(row), flush=True)
                with log_path.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            tick, tokens_since = time.time(), 0
        if (iteration + 1) % args.save_interval == 0 and iteration + 1 < args.train_iters:
            save(iteration + 1)
    save(args.train_iters)
    torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
