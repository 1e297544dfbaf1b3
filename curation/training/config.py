"""Training configuration (YAML, validated by pydantic); presets in ``pipelines/configs/train_*.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class TrainConfigError(ValueError):
    """A training config that cannot be used; one line for the user."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelShape(_Model):
    name: str
    num_layers: int = Field(ge=1)
    hidden_size: int = Field(ge=1)
    ffn_hidden_size: int = Field(ge=1)
    num_attention_heads: int = Field(ge=1)
    # Grouped-query attention (Qwen2-7B: 4 KV heads); None = multi-head attention.
    num_query_groups: int | None = None
    # Marco §3.2: 32768 for the 1.5B and 7B models, 8192 for 72B.
    seq_length: int = Field(ge=8)
    max_position_embeddings: int = Field(ge=8)
    # Qwen2: RoPE base 1e6, RMSNorm eps 1e-6, SwiGLU, bias on QKV only, untied embeddings.
    rotary_base: int = 1_000_000
    norm_epsilon: float = 1e-6
    add_qkv_bias: bool = True
    untie_embeddings: bool = True
    # Megatron pads the vocabulary to a multiple of this times the tensor-parallel size.
    make_vocab_size_divisible_by: int = 128


class Parallelism(_Model):
    # Marco §3.2 uses TP = PP = 8 for large models; presets choose per size.
    tensor: int = Field(1, ge=1)
    pipeline: int = Field(1, ge=1)
    context: int = Field(1, ge=1)


class Cluster(_Model):
    num_nodes: int = Field(1, ge=1)
    gpus_per_node: int = Field(1, ge=1)
    cpus_per_node: int = Field(8, ge=1)
    # Ray address: None = embedded local Ray, "auto" inside a cluster job.
    address: str | None = None


class Optimizer(_Model):
    # Marco §3.2: Adam (0.9, 0.95), weight decay 0.1, clipping 1.0, warm-up from 0 over the
    # first 10B tokens, cosine decay to 10% of the peak.
    adam_beta1: float = 0.9
    adam_beta2: float = 0.95
    adam_eps: float = 1e-8  # Megatron's default
    weight_decay: float = 0.1
    clip_grad: float = 1.0
    warmup_tokens: float = Field(10e9, ge=0)
    min_lr_ratio: float = Field(0.1, gt=0, le=1)


class StageTrain(_Model):
    name: str
    # Marco Table 3: 1e-5 (Stage I), 6e-6 (Stage II).
    peak_lr: float = Field(gt=0)
    # None: the stage's token budget from the mixture plan.
    tokens: float | None = Field(None, gt=0)


def _marco_stages() -> list[StageTrain]:
    return [StageTrain(name="stage1", peak_lr=1e-5), StageTrain(name="stage2", peak_lr=6e-6)]


class TrainConfig(_Model):
    model: ModelShape
    parallel: Parallelism = Field(default_factory=lambda: Parallelism())
    cluster: Cluster = Field(default_factory=lambda: Cluster())
    optimizer: Optimizer = Field(default_factory=lambda: Optimizer())
    stages: list[StageTrain] = Field(default_factory=_marco_stages, min_length=1)
    global_batch_size: int = Field(ge=1)
    micro_batch_size: int = Field(1, ge=1)
    tokenizer: str
    plan: str  # mixture_plan.json from curate mix
    checkpoint_dir: str
    # Base model to continue from (a megatron-core distributed checkpoint, e.g. converted Qwen2);
    # None trains Stage I from random weights (smoke runs).
    init_checkpoint: str | None = None
    # Stage II loads Stage I's weights only and restarts the optimizer with its new schedule
    # (the paper warms up from 0 again); Megatron's --finetune does the same.
    save_interval: int = Field(1000, ge=1)
    log_interval: int = Field(10, ge=1)
    bf16: bool = True
    seed: int = 1234
    # Peak dense bf16 FLOP/s per GPU for MFU (H100 SXM: 989 TFLOP/s; A100: 312).
    peak_tflops_per_gpu: float = 989.0

    def resolve(self, base: Path) -> TrainConfig:
        """Relative paths made absolute against ``base`` (the working directory), so every node agrees."""
        data = self.model_dump()
        for key in ("tokenizer", "plan", "checkpoint_dir", "init_checkpoint"):
            if data[key] and not Path(data[key]).is_absolute():
                data[key] = str((base / data[key]).resolve())
        return TrainConfig.model_validate(data)


def load_train_config(path: str | Path, overrides: dict | None = None) -> TrainConfig:
    p = Path(path)
    if not p.is_file():
        raise TrainConfigError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise TrainConfigError(f"{p}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise TrainConfigError(f"{p}: expected a mapping at the top level")
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors())
        raise TrainConfigError(f"{p}: {problems}") from None
