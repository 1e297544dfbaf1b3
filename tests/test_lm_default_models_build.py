"""One real default-model build (Nepali, one vocabulary, unigram: the smallest): the set appears
beside --out behind a link, with the thresholds it computed stamped with its recipe."""

import json
import os
from pathlib import Path

import pytest
import yaml

from curation.config import PerplexityConfig
from filters.lm_default_models import REFERENCE_K, build_all, recipe_key
from filters.lm_model_set import versions
from filters.perplexity import PerplexityStage
from filters.perplexity_calibration import MODEL_THRESHOLDS, calibrate_perplexity, load_thresholds
from tests.test_perplexity_stage import batch


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("build")
    build_all(root / "kenlm", shared_data, ["ne"], root / "record.yaml", memory="100M", vocabs=(500,),
              sp_types=("unigram",))
    return root / "kenlm", root / "record.yaml"


def test_the_build_publishes_the_set_behind_the_out_link(built):
    out, _ = built
    assert out.is_symlink() and versions(out) == [out.parent / os.readlink(out)]
    names = {p.name for p in out.iterdir()} - {"ne.norm.json"}  # present if keep_marks won
    assert names == {"heldout_perplexity.json", "manifest.json", MODEL_THRESHOLDS, "ne.arpa.bin", "ne.sp.model"}


def test_the_build_writes_its_thresholds_beside_the_models_with_the_recipe(built):
    out, record = built
    beside = yaml.safe_load((out / MODEL_THRESHOLDS).read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    held = json.loads((out / "heldout_perplexity.json").read_text(encoding="utf-8"))
    assert beside["recipe"] == manifest["recipe"] == recipe_key(None)
    assert {k: v for k, v in beside.items() if k != "recipe"} == calibrate_perplexity(held, k=REFERENCE_K)
    assert record.read_text(encoding="utf-8") == (out / MODEL_THRESHOLDS).read_text(encoding="utf-8")


def test_a_stage_on_the_built_set_buckets_with_its_thresholds(built, shared_data):
    out, _ = built
    edges = load_thresholds(out / MODEL_THRESHOLDS)["ne"]
    text = (shared_data / "ntrex128" / "newstest2019-ref.nep.txt").read_text(encoding="utf-8").splitlines()[0]
    got = PerplexityStage(PerplexityConfig(model_dir=str(out)))(batch([(text, "ne", None)]))
    ppl = got.column("perplexity").to_pylist()[0]
    want = "head" if ppl < edges["head"] else "middle" if ppl < edges["tail"] else "tail"
    assert got.column("perplexity_bucket").to_pylist() == [want]


def test_a_subset_build_into_a_set_with_other_languages_is_refused(built, capsys):
    from filters.lm_default_models import main

    out, _ = built
    before = os.readlink(out)
    assert main(["--lang", "he", "--out", str(out), "--no-extra-text"]) == 2
    assert "holds models for ne that a build of only he would drop" in capsys.readouterr().err
    assert os.readlink(out) == before
