"""OUT/stats of a real demo run equals what the committed files say, across units and reruns.

The demo: ``curate run`` (local runner) on real WARCs from ../shared (Common Crawl excerpt,
ClueWeb Japanese, wget English, a WET file, and 80 UDHR pages in many languages), with a tiny
BPE tokenizer trained here so model tokens are counted too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curation.io.ledger import Ledger
from curation.stats import ledger_mismatches
from curation.stats_build import build_stats, read_stats

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "pipelines" / "configs" / "web.yaml"
TOKENIZER_LANGS = ["en", "de", "es", "fr", "ja", "zh", "ru", "ar"]


def train_tokenizer(sentences: Path, dest: Path) -> Path:
    """A tiny byte-level BPE (tokenizers trainer) on real sentences of a few languages."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=["<eos>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    files = [str(sentences / f"{lang}.txt") for lang in TOKENIZER_LANGS]
    tok.train(files, trainer)
    tok.save(str(dest))
    return dest


def demo_inputs(warc_dir: Path, tmp: Path) -> list[str]:
    sys.path.insert(0, str(REPO))
    from bench._common import slice_warcs

    udhr = slice_warcs([warc_dir / "pages-udhr.warc.gz"], 80, tmp)
    names = ["cc-main-2020-34-excerpt.warc.gz", "clueweb09-ja-excerpt.warc.gz", "wget-en-0000.warc.gz",
             "cc-main-2024-22-whirlwind.warc.wet.gz"]
    return [str(warc_dir / n) for n in names] + udhr


def curate(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "curation.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def demo_config(tmp: Path, tokenizer: Path | None) -> Path:
    data = yaml.safe_load(WEB.read_text()) or {}
    data.setdefault("runner", {})["kind"] = "local"
    if tokenizer is not None:
        data.setdefault("stats", {})["tokenizer"] = str(tokenizer)
    path = tmp / "demo.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def make_demo(shared_data: Path, tmp: Path, tokenizer: bool = True) -> tuple[Path, list[str], Path]:
    """Run the demo pipeline; return (OUT, inputs, config path)."""
    tok = train_tokenizer(shared_data / "sentences", tmp / "tokenizer.json") if tokenizer else None
    inputs = demo_inputs(shared_data / "warc", tmp)
    cfg = demo_config(tmp, tok)
    out = tmp / "out"
    args = ["run", str(cfg), "--output", str(out), "--quiet"]
    for p in inputs:
        args += ["--input", p]
    curate(*args)
    return out, inputs, cfg


def recount(out: Path, tokenizer_path: Path | None) -> pd.DataFrame:
    """Docs, chars, words, tokens per (language, reason), straight from OUT/data and OUT/rejected."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path)) if tokenizer_path else None
    rows = []
    files = sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet"))
    for f in files:
        t = pq.read_table(f, columns=["language", "reject_reason", "text"]).to_pylist()
        for r in t:
            text = r["text"] or ""
            rows.append({"language": r["language"] or "und", "reason": r["reject_reason"] or "-", "docs": 1,
                         "chars": len(text), "words": len(text.split()),
                         "tokens": len(tok.encode(text, add_special_tokens=False).ids) if tok and text else 0})
    return pd.DataFrame(rows).groupby(["language", "reason"]).sum().sort_index()


def stats_counts(funnel: pd.DataFrame) -> pd.DataFrame:
    f = funnel.assign(reason=funnel["reason"].fillna("-"))
    return f.groupby(["language", "reason"])[["docs", "chars", "words", "tokens"]].sum().astype("int64").sort_index()


@pytest.fixture(scope="module")
def demo(shared_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("statsdemo")
    out, inputs, cfg = make_demo(shared_data, tmp)
    return out, inputs, cfg, tmp / "tokenizer.json"


def test_run_writes_the_stats_tables(demo):
    out = demo[0]
    for name in ("funnel", "languages", "histograms", "thresholds"):
        assert (out / "stats" / f"{name}.parquet").is_file()
    funnel = pd.read_parquet(out / "stats" / "funnel.parquet")
    assert list(funnel.columns) == ["run_id", "unit_id", "stage", "language", "reason", "docs", "chars", "words",
                                    "tokens"]


def test_stats_counts_equal_a_recount_of_data_and_rejected(demo):
    out, _, _, tok = demo
    expected = recount(out, tok)
    got = stats_counts(read_stats(out).funnel)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["tokens"].sum() > got["words"].sum() > 0  # a tiny BPE splits words into several tokens


def test_every_committed_unit_has_rows_with_its_ledger_run(demo):
    out, inputs, _, _ = demo
    funnel = read_stats(out).funnel
    entries = Ledger(out).entries()
    assert len(entries) == len(inputs)
    per_unit = funnel.groupby("unit_id")["docs"].sum()
    assert {u: e.n_rows for u, e in entries.items()} == per_unit.to_dict()
    runs = funnel.groupby("unit_id")["run_id"].unique()
    assert all(list(runs[u]) == [e.run_id] for u, e in entries.items())


def test_language_totals_follow_marco_groups(demo):
    langs = read_stats(demo[0]).languages.set_index("language")
    assert langs.loc["en", "group"] == "high" and langs.loc["ja", "group"] == "high"
    assert langs.loc["ru", "group"] == "low"
    funnel = read_stats(demo[0]).funnel
    en = funnel[funnel["language"] == "en"]
    assert langs.loc["en", "docs_total"] == en["docs"].sum()
    assert langs.loc["en", "tokens_kept"] == en.loc[en["stage"] == "kept", "tokens"].sum()


def test_histograms_count_every_row_that_has_the_signal(demo):
    out = demo[0]
    hist = read_stats(out).histograms
    files = sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet"))
    table = pa.concat_tables([pq.read_table(f, columns=["language", "language_score", "n_words"]) for f in files])
    df = table.to_pandas()
    for signal in ("language_score", "n_words"):
        h = hist[hist["signal"] == signal]
        assert h["count"].sum() == df[signal].notna().sum()
    ja = hist[(hist["signal"] == "language_score") & (hist["language"] == "ja")]
    assert ja["count"].sum() == ((df["language"] == "ja") & df["language_score"].notna()).sum()


def test_thresholds_in_force_come_from_the_config(demo):
    th = read_stats(demo[0]).thresholds
    row = th[(th["signal"] == "language_score") & (th["language"] == "*")]
    assert row["value"].tolist() == [0.5] and row["bound"].tolist() == ["min"]


def test_rows_moved_to_rejected_after_commit_are_counted_where_they_are_now(demo):
    """What a post-commit dedup phase does: rewrite a kept file, add the rows to rejected/."""
    out, _, _, tok = demo
    kept_file = max(out.glob("data/language=*/*.parquet"), key=lambda p: pq.read_metadata(p).num_rows)
    assert pq.read_metadata(kept_file).num_rows > 3
    unit = kept_file.stem.split("-", 1)[1]
    table = pq.read_table(kept_file)
    moved = table.slice(0, 3)
    moved = moved.set_column(moved.schema.get_field_index("reject_reason"), "reject_reason",
                             pa.array(["near_duplicate"] * 3, pa.string()))
    rej_file = out / "rejected" / f"part-{unit}.parquet"
    old_rej = pq.read_table(rej_file) if rej_file.exists() else None
    merged = pa.concat_tables([old_rej, moved], promote_options="permissive") if old_rej is not None else moved
    pq.write_table(merged, rej_file)
    pq.write_table(table.slice(3), kept_file)
    stats = build_stats(out)
    dedup = stats.funnel[stats.funnel["stage"] == "dedup"]
    assert dedup["docs"].sum() == 3 and set(dedup["reason"]) == {"near_duplicate"}
    assert set(dedup["unit_id"]) == {unit}
    pd.testing.assert_frame_equal(stats_counts(stats.funnel), recount(out, tok), check_dtype=False)
    assert ledger_mismatches(out, stats.funnel) == []  # moved, none lost


def test_a_forced_rerun_of_one_unit_replaces_only_its_stats(demo, tmp_path):
    out, inputs, cfg, tok = demo
    before = read_stats(out).funnel
    old_runs = dict(before.groupby("unit_id")["run_id"].first())
    curate("run", str(cfg), "--output", str(out), "--quiet", "--force", "--input", inputs[2])
    after = read_stats(out).funnel
    new_runs = dict(after.groupby("unit_id")["run_id"].first())
    changed = {u for u in new_runs if new_runs[u] != old_runs[u]}
    assert len(changed) == 1 and set(new_runs) == set(old_runs)
    pd.testing.assert_frame_equal(stats_counts(after), recount(out, tok), check_dtype=False)
    # The same records again (their fate may differ: a rerun is deduplicated against the corpus).
    assert after.groupby("unit_id")["docs"].sum().equals(before.groupby("unit_id")["docs"].sum())


def test_curate_stats_prints_the_funnel_and_writes_a_self_contained_report(demo):
    out = demo[0]
    proc = curate("stats", str(out))
    assert "filter funnel" in proc.stdout and "langid" in proc.stdout
    assert "language_low_confidence" in proc.stdout
    page = (out / "report.html").read_text()
    assert page.count('<img class="plot"') >= 4
    assert 'src="http' not in page and 'href="http' not in page and "<link" not in page


def test_records_lost_after_commit_are_reported_against_the_ledger(demo):
    out = demo[0]
    victim = max(out.glob("data/language=*/*.parquet"), key=lambda p: pq.read_metadata(p).num_rows)
    unit = victim.stem.split("-", 1)[1]
    table = pq.read_table(victim)
    pq.write_table(table.slice(1), victim)
    proc = curate("stats", str(out), "--no-report")
    expected = Ledger(out).get(unit).n_rows
    assert (f"curate: warning: unit {unit} ({Ledger(out).get(unit).uri}): the ledger says {expected} records, "
            f"its files hold {expected - 1}") in proc.stderr


def test_files_summarised_together_give_each_file_its_own_rows(demo):
    """All missing files are counted in one group-by; the rows must be those of each file alone."""
    from curation.stats_build import StatsSettings, output_files, summarise

    files = output_files(demo[0])
    assert len(files) > 5
    together = summarise(files, StatsSettings())
    alone = [summarise([f], StatsSettings()) for f in files]
    for k, key in ((0, ["_file", "language", "reason"]), (1, ["_file", "signal", "language", "status", "bin"])):
        got = together[k].sort_values(key).reset_index(drop=True)
        want = pd.concat([a[k].assign(_file=i) for i, a in enumerate(alone)], ignore_index=True)
        want = want.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_a_rebuild_summarises_only_the_file_that_changed(demo, monkeypatch):
    from curation import stats_build

    out = demo[0]
    before = build_stats(out).histograms
    victim = max(out.glob("data/language=*/*.parquet"), key=lambda p: pq.read_metadata(p).num_rows)
    pq.write_table(pq.read_table(victim), victim)  # same rows, new mtime
    seen: list[list[Path]] = []
    real = stats_build.summarise

    def spy(paths, *args, **kwargs):
        seen.append(list(paths))
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(stats_build, "summarise", spy)
    after = build_stats(out).histograms
    assert seen == [[victim]]
    pd.testing.assert_frame_equal(after, before)
    build_stats(out)
    assert seen == [[victim]]  # nothing changed: everything from the cache
    assert [p.name for p in (out / "stats" / "_cache").iterdir()] == ["summaries.parquet"]
