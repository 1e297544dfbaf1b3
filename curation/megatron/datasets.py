"""From a mixture plan to megatron-core's blended GPT dataset (what training reads).

The plan's ``data_path`` is Megatron's ``--data-path`` form (weight, prefix, weight, prefix ...);
``BlendedMegatronDatasetBuilder`` turns it into one ``BlendedDataset`` whose samples follow the
weights. Used by the training script and by the tests that check the drawn shares.
"""

from __future__ import annotations

from typing import Any

from megatron.core.datasets.blended_megatron_dataset_builder import BlendedMegatronDatasetBuilder
from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig
from megatron.core.tokenizers import MegatronTokenizerBase


def parse_data_path(data_path: list[str]) -> tuple[list[str], list[float]]:
    """``[w1, p1, w2, p2, ...]`` -> (prefixes, weights), as Megatron's ``get_blend_from_list`` does."""
    if len(data_path) % 2:
        raise ValueError("--data-path needs weight/prefix pairs")
    weights = [float(w) for w in data_path[0::2]]
    return list(data_path[1::2]), weights


def stage_blend(plan: dict[str, Any], stage: str) -> tuple[list[str], list[float]]:
    for s in plan["stages"]:
        if s["name"] == stage:
            if not s["data_path"]:
                raise ValueError(f"stage {stage} of the plan has no data_path (counts without dataset prefixes)")
            return parse_data_path(s["data_path"])
    raise ValueError(f"no stage {stage!r} in the plan")


def gpt_config(blend: tuple[list[str], list[float]], seq_length: int, tokenizer: MegatronTokenizerBase,
               seed: int = 1234, cache: str | None = None) -> GPTDatasetConfig:
    return GPTDatasetConfig(
        random_seed=seed, sequence_length=seq_length, blend=blend, split="1,0,0", path_to_cache=cache,
        tokenizer=tokenizer, reset_position_ids=False, reset_attention_mask=False, eod_mask_loss=False,
        mmap_bin_files=True,
    )


def build_train_dataset(config: GPTDatasetConfig, n_samples: int, is_built_on_rank: Any = None) -> Any:
    """The train split (a BlendedDataset, or a GPTDataset for a single prefix) with ``n_samples`` samples."""
    train, _valid, _test = BlendedMegatronDatasetBuilder(
        GPTDataset, [n_samples, 0, 0], is_built_on_rank or (lambda: True), config).build()
    return train
