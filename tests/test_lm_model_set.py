"""A model set is replaced whole: built beside the target, published by swapping a symlink, the
replaced version kept for runs that started on it, a failed or killed build invisible."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curation.config import PerplexityConfig
from filters.lm_model import LanguageModel
from filters.lm_model_set import PARTIAL, TargetError, building, versions
from filters.lm_train import train_lm
from filters.perplexity import PerplexityStage
from tests.test_perplexity_stage import batch


@pytest.fixture(scope="module")
def english(shared_data) -> list[str]:
    return (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()


def build(target: Path, lines: list[str], recipe: str = "r1") -> Path:
    """One tiny English set published at ``target``; returns the version it points at."""
    with building(target, recipe) as d:
        train_lm("en", lines, d, order=3, vocab_size=300, memory="64M")
        (d / "manifest.json").write_text(json.dumps({"recipe": recipe}), encoding="utf-8")
    return target.parent / os.readlink(target)


def partials(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*{PARTIAL}"))


def test_a_build_publishes_a_versioned_sibling_behind_a_symlink(tmp_path, english):
    target = tmp_path / "kenlm"
    version = build(target, english[:300])
    assert target.is_symlink() and not Path(os.readlink(target)).is_absolute()
    assert versions(target) == [version] and version.name.startswith("kenlm.r1.")
    assert (target / "en.arpa.bin").is_file() and partials(target) == []


def test_a_stage_set_up_before_a_rebuild_keeps_scoring_with_its_set(tmp_path, english):
    target = tmp_path / "kenlm"
    first = build(target, english[:300])
    stage = PerplexityStage(PerplexityConfig(model_dir=str(target)))
    stage(batch([("Guten Tag.", "de", None)]))  # set up; English loads on its first document, after the swap
    second = build(target, english[300:600])
    text = english[700]
    old, new = (LanguageModel(v, "en").document_perplexity(text) for v in (first, second))
    assert old != new
    assert stage(batch([(text, "en", None)])).column("perplexity").to_pylist() == [old]
    fresh = PerplexityStage(PerplexityConfig(model_dir=str(target)))
    assert fresh(batch([(text, "en", None)])).column("perplexity").to_pylist() == [new]


def test_the_previous_version_survives_one_rebuild_not_two(tmp_path, english):
    target = tmp_path / "kenlm"
    first = build(target, english[:300])
    second = build(target, english[300:600])
    assert versions(target) == [first, second]
    third = build(target, english[600:900])
    assert versions(target) == [second, third] and not first.exists()


def test_a_failed_build_leaves_the_live_link_and_no_partial_set(tmp_path, english):
    target = tmp_path / "kenlm"
    first = build(target, english[:300])
    with pytest.raises(RuntimeError, match="training failed"):
        with building(target, "r2") as d:
            (d / "en.arpa.bin").write_bytes(b"half")
            raise RuntimeError("training failed")
    assert target.parent / os.readlink(target) == first and versions(target) == [first]
    assert partials(target) == []


def test_a_killed_build_leaves_the_live_link_and_the_next_build_clears_its_partial(tmp_path, english):
    target = tmp_path / "kenlm"
    first = build(target, english[:300])
    code = ("import os, signal, sys; from pathlib import Path; from filters.lm_model_set import building\n"
            "with building(Path(sys.argv[1]), 'r2') as d:\n"
            "    (d / 'en.arpa.bin').write_bytes(b'half')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    got = subprocess.run([sys.executable, "-c", code, str(target)], cwd=Path(__file__).resolve().parents[1])
    assert got.returncode == -9
    assert target.parent / os.readlink(target) == first and versions(target) == [first]
    assert len(partials(target)) == 1  # hidden, never a version
    second = build(target, english[300:600])
    assert partials(target) == [] and versions(target) == [first, second]


def test_an_older_setups_plain_directory_becomes_the_previous_version(tmp_path, english):
    target = tmp_path / "kenlm"
    train_lm("en", english[:300], target, order=3, vocab_size=300, memory="64M")
    (target / "manifest.json").write_text(json.dumps({"recipe": "old"}), encoding="utf-8")
    before = (target / "en.arpa.bin").read_bytes()
    new = build(target, english[300:600])
    old = [v for v in versions(target) if v != new]
    assert len(old) == 1 and old[0].name.startswith("kenlm.old.")
    assert (old[0] / "en.arpa.bin").read_bytes() == before and target.is_symlink()


def test_a_plain_directory_no_build_wrote_is_refused_untouched(tmp_path, english):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my models", encoding="utf-8")
    with pytest.raises(TargetError, match="without a build manifest"):
        build(target, english[:300])
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["mine"]
    assert not target.is_symlink() and (target / "notes.txt").read_text(encoding="utf-8") == "my models"


def test_a_second_build_of_the_same_target_at_once_is_refused(tmp_path):
    target = tmp_path / "kenlm"
    with building(target, "r1"):
        with pytest.raises(TargetError, match="another build of"):
            with building(target, "r1"):
                pass
