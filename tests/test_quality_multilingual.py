"""Done-when: no stop-word or length rule is English-only. The same rules, with each language's
calibrated thresholds, keep the clean German, Japanese and Thai pages of the shared data, while
English thresholds and stop words applied to the same texts would drop them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
import yaml

from filters.quality import decide, load_thresholds
from filters.signals import compute_signals
from tests.udhr_pages import copy_records

REPO = Path(__file__).resolve().parents[1]
UDHR = {"https://udhr.example.org/deu_1996.html", "https://udhr.example.org/deu_1901.html",
        "https://udhr.example.org/jpn.html", "https://udhr.example.org/tha.html"}
JA_PAGES = {"https://www3.nhk.or.jp/news/easy/k10011959621000/k10011959621000.html",
            "https://www.lhpat-tm.com/blog/decision-info/index-2726.html", "http://note100yen.com/en-180816.html"}
GERMAN_EVAL_PAGES = 80  # the first records of the trafilatura evaluation set (mostly German)


@pytest.fixture(scope="module")
def run(warc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("multilingual")
    inputs = [
        copy_records(warc_dir / "pages-udhr.warc.gz", lambda _i, u: u in UDHR, tmp / "udhr.warc.gz"),
        copy_records(warc_dir / "pages-trafilatura-eval.warc.gz",
                     lambda i, u: i < GERMAN_EVAL_PAGES or u in JA_PAGES, tmp / "eval.warc.gz"),
        copy_records(warc_dir / "pages-article-extraction-benchmark.warc.gz", lambda _i, u: u in JA_PAGES,
                     tmp / "aeb.warc.gz"),
    ]
    cfg = yaml.safe_load((REPO / "pipelines" / "configs" / "web.yaml").read_text(encoding="utf-8"))
    cfg["dedup"]["enabled"] = False
    cfg["perplexity"]["enabled"] = False  # issue 4's stage; this checks URL filter + language ID + quality
    (tmp / "web.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out = tmp / "out"
    args = ["run", str(tmp / "web.yaml"), "--runner", "local", "--output", str(out), "--quiet"]
    args += [a for i in inputs for a in ("--input", str(i))]
    proc = subprocess.run([sys.executable, "-m", "curation.cli", *args], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cols = ["url", "text", "language", "reject_reason"]
    parts = [ds.dataset(str(out / p), format="parquet").to_table(columns=cols).to_pandas()
             for p in ("data", "rejected") if (out / p).is_dir()]
    return pd.concat(parts, ignore_index=True)


def _reached_quality(df: pd.DataFrame) -> pd.DataFrame:
    ok = df["reject_reason"].isna() | df["reject_reason"].fillna("").str.startswith("quality_")
    return df[ok & df["text"].notna()]


def test_japanese_and_thai_pages_are_kept(run: pd.DataFrame) -> None:
    pages = run[run["url"].isin(JA_PAGES | {"https://udhr.example.org/jpn.html", "https://udhr.example.org/tha.html"})]
    assert len(pages) == 5
    assert pages["reject_reason"].isna().all(), pages[["url", "reject_reason"]].to_string()
    assert sorted(pages["language"]) == ["ja", "ja", "ja", "ja", "th"]


def test_german_udhr_and_most_german_web_pages_are_kept(run: pd.DataFrame) -> None:
    udhr = run[run["url"].str.contains("udhr.example.org/deu_")]
    assert udhr["reject_reason"].isna().all() and (udhr["language"] == "de").all()
    german = _reached_quality(run[(run["language"] == "de") & ~run["url"].str.contains("udhr")])
    kept = german["reject_reason"].isna().mean()
    print(f"German trafilatura-eval pages kept by the quality rules: {german['reject_reason'].isna().sum()}"
          f"/{len(german)}")
    assert len(german) >= 40 and kept >= 0.85


def test_english_thresholds_and_stop_words_would_drop_the_same_pages(run: pd.DataFrame) -> None:
    """The contrast that makes the test mean something: English-only rules fail these pages."""
    load_thresholds.cache_clear()
    en = load_thresholds(None).for_language("en")
    assert en is not None
    pages = _reached_quality(run[run["language"].isin(["de", "ja", "th"])])
    kept_by_en = [decide(compute_signals(t, "en"), en) is None for t in pages["text"]]
    by_own = pages["reject_reason"].isna()
    assert sum(kept_by_en) <= 0.2 * len(pages) < by_own.sum()
