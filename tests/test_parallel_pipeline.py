"""`curate run` on pipelines/configs/parallel.yaml end to end, on real Tatoeba pairs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from curation.io.ledger import Ledger
from tests.test_laser_tiny_model import build_tiny_laser, tatoeba_lines

REPO = Path(__file__).resolve().parents[1]
PARALLEL = REPO / "pipelines" / "configs" / "parallel.yaml"
TATOEBA = "tatoeba-test-v2021-08-07"
CONTRACT = ["id", "src_lang", "tgt_lang", "src", "tgt", "laser_score", "reject_reason", "text"]


def curate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def sample(shared_data: Path, tmp: Path) -> list[str]:
    """150 en-fr pairs (Moses), 100 de-en pairs (TSV), and a Moses pair with one line missing."""
    fra = shared_data / "tatoeba" / "eng-fra"
    for ext in ("eng", "fra"):
        text = (fra / f"{TATOEBA}.{ext}").read_text(encoding="utf-8").splitlines()[:150]
        (tmp / f"sample.{ext}").write_text("\n".join(text) + "\n", encoding="utf-8")
    deu = shared_data / "tatoeba" / "deu-eng"
    de = (deu / f"{TATOEBA}.deu").read_text(encoding="utf-8").splitlines()[:100]
    en = (deu / f"{TATOEBA}.eng").read_text(encoding="utf-8").splitlines()[:100]
    (tmp / "tatoeba.de-en.tsv").write_text("".join(f"{a}\t{b}\n" for a, b in zip(de, en)), encoding="utf-8")
    (tmp / "broken.en").write_text("One.\nTwo.\n", encoding="utf-8")
    (tmp / "broken.fr").write_text("Un.\n", encoding="utf-8")
    return [str(tmp / "sample.eng"), str(tmp / "tatoeba.de-en.tsv"), str(tmp / "broken.en")]


def config(tmp: Path, laser_dir: Path | str, lexicon: Path, name: str = "parallel.yaml") -> Path:
    data = yaml.safe_load(PARALLEL.read_text(encoding="utf-8"))
    data["parallel"]["laser"].update(enabled=True, model_dir=str(laser_dir), k=4, min_margin=1.0, window=64)
    data["parallel"]["render"]["augment"].update(lexicon_path=str(lexicon), replace_ratio=0.5)
    path = tmp / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("parallel")
    inputs = sample(shared_data, tmp)
    laser = build_tiny_laser(tmp / "laser", tatoeba_lines(shared_data))
    lexicon = tmp / "en-fr.txt"
    lexicon.write_text("the\tle\ncat\tchat\nhouse\tmaison\nis\test\n", encoding="utf-8")
    cfg = config(tmp, laser, lexicon)
    out = tmp / "out"
    args = ["run", str(cfg), "--runner", "local", "--output", str(out)]
    for p in inputs:
        args += ["--input", p]
    proc = curate(*args)
    assert proc.returncode == 0, proc.stderr
    return {"out": out, "proc": proc, "args": args, "tmp": tmp, "inputs": inputs}


def test_the_shipped_config_runs_the_rules_without_laser():
    from curation.config import load_config
    from pipelines.parallel import build_stages, runner_options

    cfg = load_config(PARALLEL)
    assert cfg.parallel.laser.enabled is False
    assert [s.name for s in build_stages(cfg)] == ["bitext_rules", "bitext_render"]
    assert runner_options(cfg)["reader"].keywords["cfg"].chunk_rows == 2048


def test_kept_pairs_land_in_their_pair_partition_with_contract_columns(run):
    files = sorted(run["out"].glob("data/pair=*/part-*.parquet"))
    assert {f.parent.name for f in files} == {"pair=en-fr", "pair=de-en"}
    for f in files:
        assert pq.read_metadata(f).row_group(0).column(0).compression == "ZSTD"
        t = pq.read_table(f)
        assert all(c in t.column_names for c in CONTRACT)
        assert not [c for c in t.column_names if c.startswith("_")]
        assert set(t.column("pair").to_pylist()) == {f.parent.name.split("=", 1)[1]}
        assert set(t.column("reject_reason").to_pylist()) == {None}
        assert all(t.column("text").to_pylist()) and None not in t.column("laser_score").to_pylist()


def test_every_pair_is_accounted_for_and_bad_files_are_rows(run):
    entries = Ledger(run["out"]).entries()
    assert sorted(e.uri for e in entries.values()) == sorted(run["inputs"])
    assert sum(e.n_rows for e in entries.values()) == 150 + 100 + 1
    reasons = {r["reject_reason"] for r in pq.read_table(run["out"] / "rejected").to_pylist()}
    assert "input_error" in reasons and "laser_low_margin" in reasons
    errors = [r for r in pq.read_table(run["out"] / "rejected").to_pylist() if r["reject_reason"] == "input_error"]
    assert len(errors) == 1 and "has 2 lines" in errors[0]["reject_detail"] and "has 1" in errors[0]["reject_detail"]


TEMPLATE_START = {"A": "{s} phrase: ", "B": "{s} text: ", "C": "Translate the text from {s} to {t}:\n{s} text: ",
                  "D": "Translate the words from {s} to {t}:\n{s} words: ",
                  "E": "Convert the phrase from {s} to {t}:\n{s} phrase: ", "F": "Render the {s} sentence ",
                  "G": "Provide the translation of the sentence ", "H": "Change the phrase ",
                  "I": "Please change the sentence ", "J": "Change the phrase ", "K": "The sentence "}
NAMES = {"en": "English", "fr": "French", "de": "German"}


def test_rendered_text_uses_a_table_13_template(run):
    t = pq.read_table(run["out"] / "data", partitioning=None).to_pylist()
    for row in t:
        start = TEMPLATE_START[row["template"]].format(s=NAMES[row["src_lang"]], t=NAMES[row["tgt_lang"]])
        assert row["text"].startswith(start + row["src"].strip()), row
        assert row["tgt"].strip() in row["text"]
    assert len({r["template"] for r in t}) >= 5
    assert any(r["augmented_text"] and r["augmented_text"] != r["text"] for r in t if r["pair"] == "en-fr")


def test_small_language_pairs_are_replicated_three_times_in_train(run):
    kept = pq.read_table(run["out"] / "data" / "pair=en-fr", partitioning=None).num_rows
    train = pq.read_table(run["out"] / "train" / "pair=en-fr" / "part-00000.parquet").to_pylist()
    n_aug = sum(r["kind"] == "augmented" for r in train) // 3
    assert len(train) == 3 * (kept + n_aug)
    assert [sum(r["replica"] == k for r in train) for k in range(3)] == [kept + n_aug] * 3


def test_a_rerun_skips_committed_units(run):
    proc = curate(*run["args"])
    assert proc.returncode == 0, proc.stderr
    assert "0 units to process, 3 already committed" in proc.stderr


def test_missing_laser_model_fails_at_start_with_the_download_command(run):
    tmp = run["tmp"]
    missing = tmp / "no-laser"
    cfg = config(tmp, missing, tmp / "en-fr.txt", name="missing-laser.yaml")
    proc = curate("run", str(cfg), "--runner", "local", "--output", str(tmp / "o2"), "--input", run["inputs"][0])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert f"python -m laser_encoders.download_models --laser laser2 --model-dir {missing}" in lines[0]
    assert not (tmp / "o2" / "_ledger").exists()


@pytest.fixture(scope="module")
def local_scores(run):
    return runner_scores(run, "local", fuse=True)


def runner_scores(run, runner: str, fuse: bool) -> dict[str, tuple]:
    """Every row's (reason, text, cosine, margin) from a run whose scoring windows are read
    chunks of 64 pairs, or fewer where 3,000 bytes of text end one."""
    tmp = run["tmp"]
    data = yaml.safe_load((tmp / "parallel.yaml").read_text(encoding="utf-8"))
    data["parallel"]["read"]["max_chunk_bytes"] = 3000
    data["runner"].update(fuse_stages=fuse, num_cpus=None if fuse else 3)  # unfused: a pool per stage
    cfg = tmp / f"windows-{runner}-{fuse}.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp / f"out-{runner}-{fuse}"
    args = ["run", str(cfg), "--runner", runner, "--output", str(out)]
    for p in run["inputs"]:
        args += ["--input", p]
    proc = curate(*args)
    assert proc.returncode == 0, proc.stderr
    t = pq.read_table(out / "rejected").to_pylist() + pq.read_table(out / "data", partitioning=None).to_pylist()
    return {r["id"]: (r["reject_reason"], r["text"], r["laser_cosine"], r["laser_score"]) for r in t}


def test_local_scores_have_margins_and_rejections(local_scores):
    assert len(local_scores) == 251
    assert sum(v[3] is not None for v in local_scores.values()) >= 200
    assert sum(v[0] == "laser_low_margin" for v in local_scores.values()) >= 10


def test_ray_gives_the_local_runners_laser_scores_exactly(run, local_scores):
    """Ray merges chunks into blocks; margins still match the local runner's to the bit."""
    assert runner_scores(run, "ray", fuse=True) == local_scores


def test_ray_with_a_pool_per_stage_gives_the_same_scores(run, local_scores):
    """As with LASER on a GPU: rows cross from the rules pool to the LASER pool between actors."""
    assert runner_scores(run, "ray", fuse=False) == local_scores
