"""How long OUT/stats takes to build: cold, warm (cache hit), after one file changed, vs a pandas recount.

Baseline: reading every output file with pandas and grouping by (language, reason), which is what a
user would otherwise do in a notebook (no histograms, no thresholds). Usage, after the demo:

    .venv/bin/python bench/stats_build.py --out out/demo [--tokenizer tokenizer.json]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from bench._common import command_line, machine_line, md_table, now, update_results  # noqa: E402
from curation.stats_build import CACHE, STATS, StatsSettings, build_stats, output_files  # noqa: E402


def pandas_recount(out: Path) -> pd.DataFrame:
    frames = [pq.read_table(f, columns=["language", "reject_reason", "text"]).to_pandas() for f in output_files(out)]
    df = pd.concat(frames, ignore_index=True)
    df["chars"] = df["text"].fillna("").str.len()
    df["words"] = df["text"].fillna("").str.split().str.len()
    return df.groupby(["language", "reject_reason"], dropna=False)[["chars", "words"]].agg(["size", "sum"])


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="out/demo", help="output directory of a finished run")
    ap.add_argument("--tokenizer", help="tokenizer.json: also time model-token counting")
    args = ap.parse_args()
    out = Path(args.out)
    if not (out / "_ledger").exists():
        raise SystemExit(f"no run at {out}: run the demo first (README)")
    settings = StatsSettings(tokenizer=args.tokenizer)
    files = output_files(out)
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    base = timed(lambda: pandas_recount(out))
    shutil.rmtree(out / STATS / CACHE, ignore_errors=True)
    cold = timed(lambda: build_stats(out, settings))
    warm = timed(lambda: build_stats(out, settings))
    victim = max(files, key=lambda f: f.stat().st_size)
    pq.write_table(pq.read_table(victim), victim)  # same rows, new mtime: one file to re-summarise
    one = timed(lambda: build_stats(out, settings))
    table = md_table(["what", "seconds", "vs pandas recount"], [
        ["pandas recount (baseline: counts only)", f"{base:.2f}", "1.00"],
        ["build_stats, cold (every file summarised)", f"{cold:.2f}", f"{cold / base:.2f}"],
        ["build_stats, warm (nothing changed)", f"{warm:.2f}", f"{warm / base:.2f}"],
        ["build_stats, one file rewritten", f"{one:.2f}", f"{one / base:.2f}"],
    ])
    body = (f"{now()}, {machine_line()}\n\n`{command_line()}` on {out} ({len(files)} files, {rows:,} records; "
            f"tokens: {'yes' if args.tokenizer else 'no'}).\n\n{table}\n\n"
            "Cold builds also write histograms, thresholds and the per-file cache; warm builds only stat the "
            "files and read the cached summaries, so `curate stats` after a run or a dedup phase is cheap.")
    print(body)
    update_results("Stats build (curate stats" + (", with model tokens)" if args.tokenizer else ")"), body)


if __name__ == "__main__":
    main()
