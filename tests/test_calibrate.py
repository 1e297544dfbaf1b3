"""`curate calibrate`: the bound rule, anchors, script-group fallback, provenance and the CLI."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curation.cli import main
from filters.calibrate import ANCHORS, Doc, bound, calibrate, load_sample, pseudo_documents
from filters.langid_calibration import langid_threshold
from filters.quality import RULES


def test_max_bound_is_the_looser_of_p99_and_the_tukey_fence() -> None:
    values = list(range(101))  # Q1 25, Q3 75, IQR 50 -> fence 150 > P99 99
    assert bound(values, "max") == 150.0
    assert bound([1.0] * 99 + [100.0], "max") == pytest.approx(1.99)  # IQR 0: P99 is looser


def test_min_bound_is_the_first_percentile() -> None:
    assert bound(list(range(101)), "min") == pytest.approx(1.0)
    assert bound([10.0] * 50 + [11.0] * 50, "min") == 10.0


def test_written_bounds_are_rounded_outwards_so_the_sample_itself_passes() -> None:
    from filters.calibrate import _anchored

    ratio = 21 / 23  # 0.91304...: rounded to nearest it would be 0.913, below the document
    assert _anchored("short_line_ratio", "max", ratio) == 0.9131
    assert _anchored("mean_word_len", "min", 1.61967) == 1.6196
    assert _anchored("words", "max", 3.0) == 3.0


def _docs(lang: str, texts: list[str]) -> list[Doc]:
    return [Doc(lang, t, "web:test") for t in texts]


def test_calibrated_bound_is_never_stricter_than_its_anchor(shared_data: Path) -> None:
    docs = [d for d in pseudo_documents(shared_data, ["de"])]
    out = calibrate(docs, languages=["de"], min_docs=10)
    de = out["languages"]["de"]
    assert de["calibrated_on"] == "own"
    for (sig, side), anchor in ANCHORS.items():
        value = de[side][sig]
        assert value >= anchor if side == "max" else value <= anchor, sig
    assert set(de["min"]) | set(de["max"]) == {sig for sig, _, _ in RULES}


def test_a_language_with_too_few_documents_uses_its_script_group(shared_data: Path) -> None:
    docs = pseudo_documents(shared_data, ["ru", "uk"])
    docs = [d for d in docs if d.language == "ru"] + [d for d in docs if d.language == "uk"][:3]
    out = calibrate(docs, languages=["ru", "uk"], min_docs=20)
    uk = out["languages"]["uk"]
    assert uk["n_docs"] == 3
    assert uk["calibrated_on"] == "script group Cyrillic (fewer than 20 own documents)"
    assert uk["max"] == out["groups"]["Cyrillic"]["max"]
    assert out["languages"]["ru"]["calibrated_on"] == "own"


def test_a_language_with_no_documents_anywhere_says_so() -> None:
    out = calibrate(_docs("de", ["Ein Satz."] * 3), languages=["th"], min_docs=2)
    assert out["languages"]["th"]["calibrated_on"].startswith("none: fewer than 2 documents in th")
    assert "min" not in out["languages"]["th"]


def test_provenance_and_sample_size_are_recorded(shared_data: Path) -> None:
    docs = pseudo_documents(shared_data, ["kk"])
    out = calibrate(docs, languages=["kk"], min_docs=10)
    assert out["languages"]["kk"]["provenance"] == {"pseudo:ntrex128": 123, "pseudo:sentences": 83}
    assert out["languages"]["kk"]["n_docs"] == 206


def test_langid_threshold_uses_the_fineweb2_rule_per_language() -> None:
    scores = {"ms": [0.4, 0.6, 0.8, 0.9], "de": [0.99] * 10}
    out = calibrate(_docs("de", ["Ein Satz."] * 3), scores, languages=["ms", "de"], min_docs=2)
    assert out["langid"]["min_scores"] == {"ms": langid_threshold(scores["ms"]), "de": 0.9}


def test_pseudo_documents_never_read_flores(shared_data: Path) -> None:
    docs = pseudo_documents(shared_data, ["ne"])
    assert {d.provenance for d in docs} == {"pseudo:ntrex128"}  # no sentences/ne.txt, no FLORES


def _run_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    (out / "data" / "language=de").mkdir(parents=True)
    (out / "rejected").mkdir()
    text = "Die Würde des Menschen ist unantastbar.\nSie zu achten ist Pflicht."
    pq.write_table(pa.table({"text": [text], "language_score": [0.95], "reject_reason": pa.array([None], pa.string()),
                             "source": ["/x/pages.warc.gz"]}), out / "data" / "language=de" / "part-0.parquet")
    pq.write_table(pa.table({"text": [text, "kaputt", None], "language": ["de", "de", None],
                             "language_score": [0.9, 0.3, None],
                             "reject_reason": ["quality_too_short", "language_low_confidence", "extract_empty"],
                             "source": ["/x/pages.warc.gz"] * 3}), out / "rejected" / "part-0.parquet")
    return out


def test_load_sample_keeps_rows_that_reached_the_quality_stage(tmp_path: Path) -> None:
    docs, scores = load_sample(_run_dir(tmp_path))
    assert [(d.language, d.provenance) for d in docs] == [("de", "web:pages"), ("de", "web:pages")]
    assert sorted(scores["de"]) == [0.3, 0.9, 0.95]


def test_cli_writes_a_thresholds_file_that_the_stage_reads(tmp_path: Path, shared_data: Path) -> None:
    from filters.quality import load_thresholds

    out = tmp_path / "t.yaml"
    code = main(["calibrate", "--sample", str(_run_dir(tmp_path)), "--out", str(out), "--min-docs", "2"])
    assert code == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["languages"]["de"]["n_docs"] == 2
    load_thresholds.cache_clear()
    assert load_thresholds(str(out)).for_language("de") is not None


def test_cli_fails_in_one_line_on_a_directory_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["calibrate", "--sample", str(tmp_path), "--out", str(tmp_path / "t.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "not a run's output directory" in err[0]


def test_cli_leaves_out_a_held_out_source(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "t.yaml"
    code = main(["calibrate", "--sample", str(_run_dir(tmp_path)), "--out", str(out), "--min-docs", "1",
                 "--exclude-source", "pages"])
    # Every document came from pages.warc.gz: nothing is left to calibrate on.
    assert code != 0 and not out.exists()
    assert "no documents with text and a language" in capsys.readouterr().err
