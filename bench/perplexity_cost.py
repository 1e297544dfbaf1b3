"""Perplexity scoring cost vs extraction, and peak memory with all 29 models in one worker.

What it measures (one invocation, the same pages)
-------------------------------------------------
* **extract**: ``trafilatura.extract(html, **trafilatura_options(cfg.extract))`` on every page
  of ``pages-*.warc.gz`` (decoded by the project's reader first, not timed), CPU seconds of
  this process (``time.process_time``) summed over pages;
* **perplexity**: ``PerplexityStage.process`` (CCNet normalisation, SentencePiece, KenLM, the
  bucket and the filter) on the extracted texts, languages from the fastText stage (not
  timed); models are loaded before the stopwatch (loading is once per actor, timed apart).
  Documents in a language without a model (or rejected by language ID) cost nothing, as in a
  real run; the ratio is also given over scored documents only.
* **memory**: a fresh process loads all 29 default models into one ``PerplexityStage``
  (``load_method`` populate, i.e. CCNet's mmap + populate, and lazy) and scores one sentence
  each; peak RSS (``VmHWM``) before and after loading, and the file-backed (mmap) part.

Target: perplexity CPU per document <= 10% of extraction CPU per document.

Usage: ``.venv/bin/python bench/perplexity_cost.py [--limit N] [--repeat 3] [--no-write]``
"""

from __future__ import annotations

import argparse
import glob
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (  # noqa: E402
    DATA,
    command_line,
    machine_line,
    md_table,
    now,
    read_records,
    update_results,
)
from curation import schema  # noqa: E402
from curation.config import ExtractConfig, LangIdConfig, PerplexityConfig  # noqa: E402

SECTION = "Perplexity cost and memory (bench/perplexity_cost.py)"
TARGET = 0.10

MEMORY_CHILD = r"""
import json, sys, time
from curation.config import PerplexityConfig, TARGET_LANGUAGES
from filters.perplexity import PerplexityStage

def status():
    # VmHWM (peak RSS) is per address space, so it starts fresh in this process; ru_maxrss would
    # carry the parent's peak across fork+exec.
    out = {}
    for line in open("/proc/self/status"):
        key, _, val = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            out[key] = int(val.split()[0])
    return out

before = status()
stage = PerplexityStage(PerplexityConfig(load_method=sys.argv[1]))
stage.setup()
t0 = time.perf_counter()
for lang in TARGET_LANGUAGES:
    stage.model(lang).document_perplexity("a short line of text 12")
load_s = time.perf_counter() - t0
print(json.dumps({"before": before, "after": status(), "loaded": stage.loaded_languages(), "load_s": load_s}))
"""

def main() -> int:
    from filters.extract import trafilatura_options
    from filters.langid import LangIdStage
    from filters.perplexity import PerplexityStage, default_model_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N records (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import trafilatura

    started, machine = now(), machine_line()
    inputs = sorted(glob.glob(str(DATA / "warc" / "pages-*.warc.gz")))
    rows = [r for r in read_records(inputs) if r.get("_html")][: args.limit]
    opts = trafilatura_options(ExtractConfig())
    texts: list[str | None] = []
    extract_cpu = []
    for rnd in range(args.repeat):
        t0 = time.process_time()
        out = [trafilatura.extract(r["_html"], **opts) for r in rows]
        extract_cpu.append(time.process_time() - t0)
        texts = out if rnd == 0 else texts
    table = schema.from_rows([{"id": str(i), "source": "bench", "text": t, schema.UNIT_ID: "u",
                               schema.RECORD_INDEX: i} for i, t in enumerate(texts)])
    table = LangIdStage(LangIdConfig())(table)
    stage = PerplexityStage(PerplexityConfig())
    t0 = time.perf_counter()
    stage.setup()
    for lang in set(table.column("language").to_pylist()) - {None}:
        stage.model(lang)
    stage._ready = True
    load_s = time.perf_counter() - t0
    ppl_cpu = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        scored = stage(table)
        ppl_cpu.append(time.process_time() - t0)
    n = len(rows)
    n_scored = sum(p is not None for p in scored.column("perplexity").to_pylist())
    chars_scored = sum(len(t) for t, p in zip(texts, scored.column("perplexity").to_pylist()) if p is not None)
    ext, ppl = statistics.median(extract_cpu), statistics.median(ppl_cpu)
    ratio = ppl / ext
    ratio_scored = (ppl / n_scored) / (ext / n) if n_scored else float("nan")
    reasons: dict[str, int] = {}
    for r in scored.column("reject_reason").to_pylist():
        if r:
            reasons[r] = reasons.get(r, 0) + 1
    mem = {}
    for method in ("populate", "lazy"):
        proc = subprocess.run([sys.executable, "-c", MEMORY_CHILD, method], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1])
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip().splitlines()[-1])
        mem[method] = json.loads(proc.stdout.strip().splitlines()[-1])
    model_bytes = sum(p.stat().st_size for p in default_model_dir().glob("*.arpa.bin"))
    sp_bytes = sum(p.stat().st_size for p in default_model_dir().glob("*.sp.model"))
    verdict = (f"**{'PASS' if ratio <= TARGET else 'FAIL'}: perplexity = {ratio:.1%} of extraction CPU per document "
               f"(target <= {TARGET:.0%}); {ratio_scored:.1%} per scored document**")
    body = "\n".join([
        f"- date: {started}", f"- machine: {machine}", f"- command: `{command_line()}`",
        f"- input: `pages-*.warc.gz` ({len(inputs)} files), {n} pages with HTML; {n_scored} scored "
        f"(a language with a model and not rejected by language ID), {chars_scored / max(n_scored, 1):.0f} "
        f"characters per scored text; languages from `LangIdStage` (not timed)",
        f"- extract: `trafilatura.extract` with `{opts}`; perplexity: `PerplexityStage` (default models and "
        f"thresholds, filter on) on the extracted texts; CPU seconds of this process (`time.process_time`), "
        f"median of {args.repeat} runs each ({', '.join(f'{x:.2f}' for x in extract_cpu)} s vs "
        f"{', '.join(f'{x:.2f}' for x in ppl_cpu)} s); model loading {load_s:.2f} s once, not in the ratio",
        f"- perplexity rejections on these pages: {reasons or 'none'}",
        "",
        md_table(["step", "CPU s (median)", "ms per document", "ms per scored document", "ratio to extract"], [
            ["trafilatura.extract", f"{ext:.2f}", f"{1000 * ext / n:.2f}", "", "1"],
            ["perplexity stage", f"{ppl:.2f}", f"{1000 * ppl / n:.2f}",
             f"{1000 * ppl / max(n_scored, 1):.2f}", f"**{ratio:.3f}**"],
        ]),
        "",
        md_table(["29 models in one worker", "peak RSS before load (MB)", "peak RSS after (MB)", "added (MB)",
                  "of which file-backed (mmap) after (MB)", "load + first score, 29 languages (s)"], [
            [f"load_method={m}", f"{v['before']['VmHWM'] / 1024:.0f}", f"{v['after']['VmHWM'] / 1024:.0f}",
             f"{(v['after']['VmHWM'] - v['before']['VmHWM']) / 1024:.0f}", f"{v['after']['RssFile'] / 1024:.0f}",
             f"{v['load_s']:.2f}"] for m, v in mem.items()]),
        "",
        f"Model files: {model_bytes / 2**20:.0f} MB of KenLM binaries + {sp_bytes / 2**20:.1f} MB of SentencePiece "
        "models for 29 languages (default models, `.venv/share/curation/kenlm`).",
        "", verdict])
    print(body)
    if not args.no_write:
        update_results(SECTION, body)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
