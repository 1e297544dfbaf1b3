"""``curate train --dry-run``: both stages' full Megatron arguments, as Marco-LLM §3.2 sets them."""

from __future__ import annotations

import csv
import math
import shlex
from pathlib import Path

import pytest

from curation.cli import main
from curation.training.pretrain_gpt import flops_per_token, padded_vocab, parse_args

REPO = Path(__file__).resolve().parents[1]
QWEN = REPO / "pipelines" / "configs" / "train_qwen2_7b.yaml"
TINY = REPO / "pipelines" / "configs" / "train_tiny.yaml"


def _plan(tmp_path: Path, *extra: str) -> Path:
    counts = tmp_path / "counts.csv"
    rows = [("web", "en", 1459.7), ("web", "zh", 214.7), ("web", "de", 442.8), ("web", "bn", 6.5),
            ("parallel", "en-de", 103.0), ("knowledge", "en", 65.0), ("synthetic", "en", 6.0)]
    with counts.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["category", "language", "tokens", "prefix"])
        for cat, lang, billions in rows:
            w.writerow([cat, lang, int(billions * 1e9), f"/data/megatron/{cat}/{lang}"])
    assert main(["mix", "--counts", str(counts), "--output", str(tmp_path / "plan"), *extra]) == 0
    return tmp_path / "plan" / "mixture_plan.json"


def _dry_run(capsys: pytest.CaptureFixture[str], config: Path, plan: Path, tmp_path: Path) -> list[list[str]]:
    capsys.readouterr()
    assert main(["train", str(config), "--dry-run", "--plan", str(plan), "--tokenizer", "/models/tokenizer.json",
                 "--checkpoint-dir", str(tmp_path / "ckpt")]) == 0
    out = capsys.readouterr().out
    stages = []
    for block in out.split("\n# ")[0:]:
        body = block.split("\n", 1)[1].replace("\\\n", " ")
        words = shlex.split(body)
        stages.append(words[words.index("curation.training.pretrain_gpt") + 1:])
    return stages


def _opts(words: list[str]) -> dict[str, list[str]]:
    opts: dict[str, list[str]] = {}
    key = ""
    for w in words:
        if w.startswith("--"):
            key = w
            opts[key] = []
        else:
            opts[key].append(w)
    return opts


def test_dry_run_prints_two_stages_with_marco_schedule_and_optimizer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s1, s2 = (_opts(s) for s in _dry_run(capsys, QWEN, _plan(tmp_path), tmp_path))
    for s in (s1, s2):
        assert s["--lr-decay-style"] == ["cosine"]
        assert s["--lr-warmup-init"] == ["0.0"]
        assert s["--optimizer"] == ["adam"]
        assert s["--adam-beta1"] == ["0.9"] and s["--adam-beta2"] == ["0.95"]
        assert s["--weight-decay"] == ["0.1"] and s["--clip-grad"] == ["1"]
        assert s["--seq-length"] == ["32768"] and s["--global-batch-size"] == ["128"]
        assert s["--lr-warmup-iters"] == [str(math.ceil(10e9 / (128 * 32768)))] == ["2385"]
        assert s["--tokenizer-model"] == ["/models/tokenizer.json"]
    assert (s1["--lr"], s1["--min-lr"]) == (["1e-05"], ["1e-06"])
    assert (s2["--lr"], s2["--min-lr"]) == (["6e-06"], ["6e-07"])
    assert s1["--train-iters"] == s1["--lr-decay-iters"] == [str(math.ceil(160e9 / (128 * 32768)))] == ["38147"]
    assert s2["--train-iters"] == s2["--lr-decay-iters"] == [str(math.ceil(140e9 / (128 * 32768)))] == ["33379"]


def test_stage_two_starts_from_stage_one_checkpoint_with_a_fresh_schedule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s1, s2 = (_opts(s) for s in _dry_run(capsys, QWEN, _plan(tmp_path), tmp_path))
    assert s1["--save"] == [str(tmp_path / "ckpt" / "stage1")]
    assert s1["--load"] == ["/mnt/shared/models/qwen2-7b-mcore"]
    assert s2["--load"] == s1["--save"]
    assert s2["--save"] == [str(tmp_path / "ckpt" / "stage2")]
    assert "--finetune" in s2


def test_qwen2_7b_shape_and_data_path_from_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    plan = _plan(tmp_path)
    s1, s2 = (_opts(s) for s in _dry_run(capsys, QWEN, plan, tmp_path))
    shape = {k: s1[k] for k in ("--num-layers", "--hidden-size", "--ffn-hidden-size", "--num-attention-heads",
                                 "--num-query-groups", "--rotary-base")}
    assert shape == {"--num-layers": ["28"], "--hidden-size": ["3584"], "--ffn-hidden-size": ["18944"],
                     "--num-attention-heads": ["28"], "--num-query-groups": ["4"], "--rotary-base": ["1000000"]}
    assert {"--swiglu", "--add-qkv-bias", "--untie-embeddings-and-output-weights", "--bf16"} <= set(s1)
    stages = json.loads(plan.read_text())["stages"]
    assert s1["--data-path"] == stages[0]["data_path"]
    assert s2["--data-path"] == stages[1]["data_path"]
    assert s1["--data-path"][:2] == ["0.32000000", "/data/megatron/web/en"]


def test_the_training_script_accepts_every_printed_argument(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for words in _dry_run(capsys, QWEN, _plan(tmp_path), tmp_path):
        args = parse_args(words)
        assert args.seq_length == 32768 and args.group_query_attention
    s1 = parse_args(_dry_run(capsys, QWEN, _plan(tmp_path), tmp_path)[0])
    assert padded_vocab(151_646, s1.make_vocab_size_divisible_by, s1.tensor_model_parallel_size) == 152_064
    # Qwen2-7B: 6 x 6.5e9 non-embedding parameters + 6 x h x V logits + 12 x L x s x h attention at 32k.
    dense = 28 * (3584 * 3584 * (2 + 2 * 4 / 28) + 3 * 3584 * 18944)
    expected = 6 * dense + 6 * 3584 * 152_064 + 12 * 28 * 32768 * 3584
    assert flops_per_token(s1, 152_064) == pytest.approx(expected)
    assert 7.5e10 < expected < 9e10


def test_tiny_config_derives_iterations_from_the_plan_tokens(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(tmp_path, "--stage-tokens", "1.6e6,1.4e6", "--repetition-cap", "1e9")
    s1, s2 = (_opts(s) for s in _dry_run(capsys, TINY, plan, tmp_path))
    assert s1["--train-iters"] == [str(math.ceil(1.6e6 / (8 * 256)))] == ["782"]
    assert s2["--train-iters"] == [str(math.ceil(1.4e6 / (8 * 256)))]
    assert s1["--lr-warmup-iters"] == [str(math.ceil(1e5 / 2048))]
    assert "--load" not in s1 and "--finetune" not in s1
    assert s2["--load"] == s1["--save"] and "--finetune" in s2


def test_a_missing_plan_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(QWEN), "--dry-run", "--plan", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.strip() == (f"curate: error: mixture plan not found: {tmp_path / 'none.json'} "
                                               f"(make it with curate mix)")


def test_a_batch_that_does_not_divide_over_data_parallel_ranks_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(QWEN.read_text().replace("global_batch_size: 128", "global_batch_size: 130"))
    assert main(["train", str(cfg), "--dry-run", "--plan", str(_plan(tmp_path))]) == 2
    assert "global_batch_size 130 must be a multiple of micro_batch_size x data-parallel size (1 x 4)" in \
        capsys.readouterr().err
