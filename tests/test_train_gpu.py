"""GPU: the tiny model's two stages end to end on real text; loss falls, Stage II loads Stage I."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from curation.cli import main
from tests.test_tokenize_fixtures import docs, train_bpe, write_web

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")]


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tiny_two_stage_run_learns_and_stage_two_resumes_from_stage_one(shared_data: Path, tmp_path: Path) -> None:
    langs = ["en", "zh", "de", "fr", "bn", "ms"]
    bpe = train_bpe(tmp_path / "tokenizer.json", [t for lang in langs for t in docs(shared_data, lang, 200)], 2000)
    web = write_web(tmp_path / "web", shared_data, langs, n_docs=200)
    assert main(["tokenize", "--quiet", "--append-eod", "--tokenizer", str(bpe), "--output", str(tmp_path / "mg"),
                 "--input", f"web={web}"]) == 0
    assert main(["mix", "--counts", str(tmp_path / "mg" / "token_counts.json"), "--output", str(tmp_path / "plan"),
                 "--stage-tokens", "4e5,3.5e5", "--repetition-cap", "1e9"]) == 0
    cfg = Path(__file__).resolve().parents[1] / "pipelines" / "configs" / "train_tiny.yaml"
    assert main(["train", str(cfg), "--plan", str(tmp_path / "plan" / "mixture_plan.json"), "--tokenizer", str(bpe),
                 "--checkpoint-dir", str(tmp_path / "ckpt")]) == 0
    s1 = _log(tmp_path / "ckpt" / "stage1" / "train_log.jsonl")
    s2 = _log(tmp_path / "ckpt" / "stage2" / "train_log.jsonl")
    assert s1[-1]["loss"] < s1[0]["loss"]
    assert s2[-1]["loss"] < s2[0]["loss"]
    assert s2[0]["loss"] < s1[0]["loss"]  # Stage II starts from Stage I's weights, not from scratch
    assert max(r["lr"] for r in s2) <= 6e-4 * (1 + 1e-6)
    assert (tmp_path / "ckpt" / "stage2" / "latest_checkpointed_iteration.txt").is_file()
