"""A ``curate mix`` plan fed to megatron-core's BlendedMegatronDatasetBuilder draws the planned shares."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.cli import main
from curation.megatron.datasets import build_train_dataset, gpt_config, stage_blend
from curation.megatron.hf_tokenizer import HFTokenizer
from curation.mixture import CATEGORIES
from tests.test_tokenize_fixtures import docs, sentences, train_bpe, write_bitext, write_web

WEB = ["en", "zh", "de", "fr", "bn", "ms"]


def _write_mono(path: Path, texts: list[str], lang: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": texts, "language": [lang] * len(texts)}), path)


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    root = tmp_path_factory.mktemp("blend")
    bpe = train_bpe(root / "tokenizer.json", [t for lang in WEB for t in docs(shared_data, lang, 40)])
    web = write_web(root / "web", shared_data, WEB, n_docs=40)
    bitext = write_bitext(root / "bitext" / "part-0.parquet", shared_data,
                          {"de": "deu_Latn.devtest", "zh": "zho_Hans.devtest"}, n=60)
    ntrex = (shared_data / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    _write_mono(root / "knowledge" / "part-0.parquet", [" ".join(ntrex[i:i + 5]) for i in range(0, 300, 5)], "en")
    _write_mono(root / "synthetic" / "part-0.parquet", sentences(shared_data, "it", 80), "it")
    out = root / "megatron"
    assert main(["tokenize", "--runner", "local", "--quiet", "--append-eod", "--tokenizer", str(bpe),
                 "--output", str(out), "--input", f"web={web}", "--input", f"parallel={bitext.parent}",
                 "--input", f"knowledge={root / 'knowledge'}", "--input", f"synthetic={root / 'synthetic'}"]) == 0
    assert main(["mix", "--counts", str(out / "token_counts.json"), "--output", str(root / "plan"),
                 "--stage-tokens", "2e5,1.75e5", "--repetition-cap", "1000"]) == 0
    return root


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_blended_dataset_draws_each_category_within_one_point_of_the_plan(plan_dir: Path, stage: str) -> None:
    plan = json.loads((plan_dir / "plan" / "mixture_plan.json").read_text())
    prefixes, weights = stage_blend(plan, stage)
    category_of = {d["prefix"]: d["category"] for d in next(s for s in plan["stages"] if s["name"] == stage)
                   ["datasets"]}
    tok = HFTokenizer(plan_dir / "tokenizer.json")
    cfg = gpt_config((prefixes, weights), seq_length=64, tokenizer=tok)
    n = 3000
    blended = build_train_dataset(cfg, n)
    drawn = Counter(category_of[prefixes[int(blended[i]["dataset_id"])]] for i in range(n))
    planned = next(s for s in plan["stages"] if s["name"] == stage)["category_shares"]
    assert set(drawn) == set(CATEGORIES)
    for cat in CATEGORIES:
        assert abs(drawn[cat] / n - planned[cat]) < 0.01, (cat, drawn[cat] / n, planned[cat])


def test_every_drawn_sample_is_a_full_sequence_of_real_token_ids(plan_dir: Path) -> None:
    plan = json.loads((plan_dir / "plan" / "mixture_plan.json").read_text())
    tok = HFTokenizer(plan_dir / "tokenizer.json")
    cfg = gpt_config(stage_blend(plan, "stage1"), seq_length=64, tokenizer=tok)
    blended = build_train_dataset(cfg, 50)
    sample = blended[7]
    assert sample["tokens"].shape == (64,)
    assert int(sample["tokens"].max()) < tok.vocab_size
    assert sample["labels"][:-1].tolist() == sample["tokens"][1:].tolist()
