"""Web pipeline throughput: documents per second per core of ``curate run`` vs plain trafilatura.

What it measures (all in one invocation, on the same records)
--------------------------------------------------------------
* **plain**: a fresh Python process decodes every record with the project's own reader
  (``curation.io.warc.iter_rows``, timed separately, not part of the plain figure), then times
  ``trafilatura.extract(html, **trafilatura_options(cfg.extract))`` over all documents in that
  one process: wall clock and process CPU (user+sys). ``import trafilatura`` is not timed.
* **ours, langid off** (the ratio's definition: read + extract + write): a whole
  ``curate run --runner local --force`` in a fresh process with ``langid.enabled: false``,
  timed end to end: interpreter start, imports, planning, WARC reading and decoding,
  extraction in the child process, Parquet fragments, commit and ledger. CPU = user+sys of the
  curate process *and* its extraction child (``getrusage(RUSAGE_CHILDREN)`` deltas; the runner
  waits for the child at teardown, so its CPU is included).
* **ours, default config** (language ID on): the same with ``pipelines/configs/web.yaml`` as is.
* **fixed cost**: a no-op rerun of ``curate run`` (every unit already in the ledger): start-up,
  imports and planning only.
* **Ray** (``--ray``): the Ray runner (embedded local Ray, langid off) in a fresh process
  through the project's API (``prepare`` / ``build_stages`` / ``run_ray``, what ``curate run
  --runner ray`` calls), so ``ray.init`` and ``ray.shutdown`` can be timed apart: docs/s with
  start-up and shutdown included, and with them excluded (``run_ray`` alone, which still
  includes actor start and model/child-process set-up). Wall clock only: Ray's daemons are not
  children the driver waits for, so their CPU cannot be counted honestly.

Per core: the local runner is one process plus an extraction child that it waits on (they
never run at the same time), so it keeps one core busy. docs/s per core is reported two ways:
docs / CPU seconds (parent + child, or the plain process) and docs / wall seconds (one core).
**The ratio ours/plain uses CPU seconds** (less sensitive to other load on a shared machine).
Each configuration runs ``--repeat`` times in rounds (plain and ours back to back, order
rotated per round); the verdict uses the median over rounds of plain CPU / ours CPU, because
load from other users drifts over minutes. Best-of-N and wall-clock ratios are printed beside.

Usage: ``.venv/bin/python bench/web_throughput.py [--limit N] [--repeat 3] [--ray] [--no-write]``
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (  # noqa: E402
    DATA,
    DEFAULT_CONFIG,
    RESULTS,
    ROOT,
    RunMeasure,
    command_line,
    config_with,
    cpu_count,
    load_config_dict,
    machine_line,
    md_table,
    now,
    parsed,
    read_output,
    read_records,
    run_curate,
    slice_warcs,
    update_results,
)

SECTION = "Web throughput (bench/web_throughput.py)"
TARGET = 0.85


def plain_worker(config_path: str, inputs: list[str]) -> dict[str, Any]:
    """Runs in a fresh process: decode (timed apart), then trafilatura.extract over all docs."""
    t0 = time.perf_counter()
    import trafilatura

    from filters.extract import trafilatura_options

    import_s = time.perf_counter() - t0
    options = trafilatura_options(parsed(load_config_dict(Path(config_path))).extract)
    t0, c0 = time.perf_counter(), time.process_time()
    records = read_records(inputs)
    decode_wall, decode_cpu = time.perf_counter() - t0, time.process_time() - c0
    html = [r["_html"] for r in records if r.get("_html") is not None]
    n_none = errors = 0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for doc in html:
        try:
            text = trafilatura.extract(doc, **options)
        except Exception:  # noqa: BLE001 - counted
            errors += 1
            continue
        if not text:
            n_none += 1
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"records": len(records), "docs": len(html), "import_s": import_s, "decode_wall_s": decode_wall,
            "decode_cpu_s": decode_cpu, "wall_s": wall,
            "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), "empty": n_none,
            "errors": errors, "options": options}


def ray_worker(config_path: str, out: str, inputs: list[str]) -> dict[str, Any]:
    """Runs in a fresh process: the Ray runner with ray.init / run_ray / ray.shutdown timed apart."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    t0 = time.perf_counter()
    import ray

    from curation.runners.common import prepare
    from curation.runners.ray_runner import connect, run_ray
    from pipelines.web import build_stages

    data = load_config_dict(Path(config_path))
    data["input"] = {"paths": inputs}
    data["output"] = dict(data.get("output") or {}, path=out)
    data["runner"] = dict(data.get("runner") or {}, kind="ray")
    cfg = parsed(data)
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    connect(cfg.runner.address)
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx = prepare(cfg, force=True)
    summary = run_ray(ctx, build_stages(cfg))
    run_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ray.shutdown()
    shutdown_s = time.perf_counter() - t0
    return {"import_s": import_s, "init_s": init_s, "run_s": run_s, "shutdown_s": shutdown_s,
            "rows": summary.rows}


def run_ray_worker(config_path: Path, out: Path, inputs: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--ray-worker", str(config_path), str(out), *inputs]
    t0 = time.perf_counter()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ray worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def run_plain(config_path: Path, inputs: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--plain-worker", str(config_path), *inputs]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"plain worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_run(m: RunMeasure, out: Path, expect_rows: int) -> dict[str, int]:
    if m.rc != 0:
        raise RuntimeError(f"curate run failed ({m.rc}): {m.cmd}\n{m.stderr[-2000:]}")
    rows = read_output(out, columns=("url", "reject_reason"))
    if rows.num_rows != expect_rows:
        raise RuntimeError(f"{out}: {rows.num_rows} output rows, expected {expect_rows}")
    reasons: dict[str, int] = {}
    for r in rows.column("reject_reason").to_pylist():
        if r is not None:
            reasons[r] = reasons.get(r, 0) + 1
    return reasons


def best(runs: list[dict[str, float]], key: str = "cpu_s") -> dict[str, float]:
    return min(runs, key=lambda r: r[key])


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--plain-worker":
        print(json.dumps(plain_worker(sys.argv[2], sys.argv[3:])))
        return 0
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--ray-worker":
        print(json.dumps(ray_worker(sys.argv[2], sys.argv[3], sys.argv[4:])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", default=str(DATA / "warc" / "pages-*.warc.gz"), help="glob of WARC files")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="base pipeline config (default: web.yaml)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records (quick run)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; the best counts (default 3)")
    ap.add_argument("--ray", action="store_true", help="also time the Ray runner (embedded local Ray)")
    ap.add_argument("--ray-repeat", type=int, default=1, help="runs of the Ray runner (default 1)")
    ap.add_argument("--no-langid-default", dest="langid_default", action="store_false",
                    help="skip the default-config (language ID on) runs")
    ap.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                    help=f"write the section into {RESULTS.relative_to(RESULTS.parents[1])} "
                         "(default: yes for full runs, no with --limit)")
    ap.add_argument("--note", default="other agents were using the CPUs at the same time",
                    help="a remark on the machine's state, written into RESULTS.md")
    args = ap.parse_args(argv)
    write = args.write if args.write is not None else args.limit is None
    files = sorted(glob.glob(args.inputs))
    if not files:
        print(f"no input matches {args.inputs}", file=sys.stderr)
        return 2
    started, machine = now(), machine_line()
    print(machine, file=sys.stderr)

    base = load_config_dict(args.config)
    configs = {"ours_nolid": config_with(base, langid=False)}
    if args.langid_default:
        configs["ours_default"] = config_with(base, langid=True)
    results: dict[str, list[dict[str, float]]] = {"plain": [], **{k: [] for k in configs}}
    reasons: dict[str, dict[str, int]] = {}
    plain_info: dict[str, Any] = {}

    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp_s:
        tmp = Path(tmp_s)
        inputs = slice_warcs(files, args.limit, tmp)
        plain_cfg = tmp / "plain-config.yaml"
        plain_cfg.write_text(json.dumps(configs["ours_nolid"]), encoding="utf-8")  # JSON is YAML
        n_records = len(read_records(inputs))
        print(f"{len(inputs)} input files, {n_records} records", file=sys.stderr)

        order = ["plain", *configs]
        for rep in range(args.repeat):
            for name in order[rep % len(order):] + order[: rep % len(order)]:  # rotate to spread noise
                if name == "plain":
                    p = run_plain(plain_cfg, inputs)
                    plain_info = p
                    if p["records"] != n_records:
                        raise RuntimeError(f"plain saw {p['records']} records, expected {n_records}")
                    results["plain"].append(p)
                    line = f"wall {p['wall_s']:.2f} s, CPU {p['cpu_s']:.2f} s (decode {p['decode_wall_s']:.2f} s apart)"
                else:
                    out = tmp / f"out-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    m = run_curate(configs[name], inputs, out, runner="local", force=True, workdir=tmp)
                    reasons[name] = check_run(m, out, n_records)
                    results[name].append({"wall_s": m.wall_s, "cpu_s": m.cpu_s, "user_s": m.user_s,
                                          "sys_s": m.sys_s})
                    line = f"wall {m.wall_s:.2f} s, CPU {m.cpu_s:.2f} s (user {m.user_s:.2f}, sys {m.sys_s:.2f})"
                print(f"[{rep + 1}/{args.repeat}] {name}: {line}", file=sys.stderr)

        # Fixed cost: a rerun with every unit already committed (start-up, imports, planning).
        fixed = []
        for _ in range(max(1, min(3, args.repeat))):
            m = run_curate(configs["ours_nolid"], inputs, tmp / "out-ours_nolid", runner="local", force=False,
                           workdir=tmp)
            if m.rc != 0:
                raise RuntimeError(m.stderr)
            fixed.append({"wall_s": m.wall_s, "cpu_s": m.cpu_s})
        print(f"fixed cost (no-op rerun): wall {best(fixed)['wall_s']:.2f} s, CPU {best(fixed)['cpu_s']:.2f} s",
              file=sys.stderr)

        ray_runs: list[dict[str, Any]] = []
        if args.ray:
            for i in range(args.ray_repeat):
                out = tmp / "out-ray"
                shutil.rmtree(out, ignore_errors=True)
                r = run_ray_worker(plain_cfg, out, inputs)
                reasons["ray"] = check_run(RunMeasure(r["wall_s"], 0.0, 0.0, 0.0, 0, "", "ray worker"), out,
                                           n_records)
                ray_runs.append(r)
                print(f"[{i + 1}/{args.ray_repeat}] ray: process wall {r['wall_s']:.2f} s = imports "
                      f"{r['import_s']:.2f} + ray.init {r['init_s']:.2f} + run_ray {r['run_s']:.2f} + shutdown "
                      f"{r['shutdown_s']:.2f} (+ interpreter start)", file=sys.stderr)

    n = n_records

    def runs(name: str, key: str = "cpu_s") -> str:
        return ", ".join(f"{r[key]:.1f}" for r in results[name])

    pb = best(results["plain"])
    plain_med_cpu, plain_med_wall = med(results["plain"], "cpu_s"), med(results["plain"], "wall_s")
    rows = [["plain trafilatura.extract (extract only)", runs("plain"), f"{plain_med_wall:.2f}",
             f"{n / plain_med_cpu:.1f}", f"{n / pb['cpu_s']:.1f}", f"{n / plain_med_wall:.1f}", "1", "1", "1"]]
    dec_cpu = min(r["decode_cpu_s"] for r in results["plain"])
    dec_wall = min(r["decode_wall_s"] for r in results["plain"])
    rows.append(["plain incl. decode (iter_rows + extract)", "", f"{plain_med_wall + dec_wall:.2f}",
                 f"{n / (plain_med_cpu + dec_cpu):.1f}", f"{n / (pb['cpu_s'] + dec_cpu):.1f}",
                 f"{n / (plain_med_wall + dec_wall):.1f}", "", "", ""])
    # Primary ratio: per round, plain and ours ran back to back; the median of those paired
    # ratios is the least sensitive to load that drifts over minutes on a shared machine.
    ratios: dict[str, dict[str, float]] = {}
    labels = {"ours_nolid": "ours: curate run local, langid off (read+extract+write)",
              "ours_default": "ours: curate run local, default config (langid on)"}
    for name in configs:
        paired = [p["cpu_s"] / o["cpu_s"] for p, o in zip(results["plain"], results[name])]
        mc, mw = med(results[name], "cpu_s"), med(results[name], "wall_s")
        ratios[name] = {"paired": statistics.median(paired), "best": pb["cpu_s"] / best(results[name])["cpu_s"],
                        "median": plain_med_cpu / mc, "wall": plain_med_wall / mw}
        rt = ratios[name]
        rows.append([labels[name], runs(name), f"{mw:.2f}", f"{n / mc:.1f}", f"{n / best(results[name])['cpu_s']:.1f}",
                     f"{n / mw:.1f}", f"**{rt['paired']:.3f}** ({', '.join(f'{x:.2f}' for x in paired)})",
                     f"{rt['best']:.3f}", f"{rt['wall']:.3f}"])
    fb = best(fixed)
    rows.append(["curate run no-op rerun (fixed start-up cost, best)", f"{fb['cpu_s']:.2f}", f"{fb['wall_s']:.2f}",
                 "", "", "", "", "", ""])
    table_md = md_table(["configuration", "CPU s per run", "wall s median", "docs/s per core (CPU, median)",
                         "docs/s per core (CPU, best)", "docs/s (wall, median; 1 core)",
                         "ratio vs plain: median of paired rounds (CPU)", "ratio best/best (CPU)",
                         "ratio median (wall)"], rows)

    ray_md = ""
    if ray_runs:
        rb = min(ray_runs, key=lambda r: r["wall_s"])
        cores = cpu_count()
        startup = rb["wall_s"] - rb["run_s"]
        ray_md = md_table(
            ["Ray runner (embedded local Ray, langid off)", "wall s", "docs/s (wall)",
             f"docs/s per core (wall / {cores} cores)"],
            [["whole process: start-up and shutdown included", f"{rb['wall_s']:.2f}", f"{n / rb['wall_s']:.1f}",
              f"{n / rb['wall_s'] / cores:.1f}"],
             [f"start-up + shutdown alone (interpreter, imports, ray.init {rb['init_s']:.1f} s, "
              f"ray.shutdown {rb['shutdown_s']:.1f} s)", f"{startup:.2f}", "", ""],
             ["start-up excluded (`run_ray` only; actor and model set-up still inside)", f"{rb['run_s']:.2f}",
              f"{n / rb['run_s']:.1f}", f"{n / rb['run_s'] / cores:.1f}"]])

    ratio = ratios["ours_nolid"]["paired"]
    ok = ratio >= TARGET
    r0 = ratios["ours_nolid"]
    verdict = (f"{'PASS' if ok else 'FAIL'}: ours/plain = {ratio:.3f} docs/s per core "
               f"(CPU seconds, langid off, median of {args.repeat} paired rounds; best/best {r0['best']:.3f}, "
               f"wall-clock {r0['wall']:.3f}); target >= {TARGET}")
    print()
    print(table_md)
    if ray_md:
        print()
        print(ray_md)
    print()
    print(f"docs: {n}; plain: empty {plain_info.get('empty')}, errors {plain_info.get('errors')}, "
          f"import trafilatura {plain_info.get('import_s', 0):.2f} s (untimed); ours reject reasons: {reasons}")
    print(verdict)

    if write:
        scope = "all records" if args.limit is None else f"first {args.limit} records only (--limit)"
        body = f"""
- date: {started}
- machine: {machine}; {args.note}
- command: `{command_line()}`
- input: `{args.inputs}` ({len(files)} files, {scope}): {n} documents
- extraction options (both sides): `{plain_info.get('options')}`
- each configuration ran {args.repeat} times in rounds (plain and ours back to back, order rotated)
- plain: fresh process; HTML decoded with `curation.io.warc.iter_rows` first (not in the plain
  figure; decode alone: wall {dec_wall:.2f} s, CPU {dec_cpu:.2f} s), then `trafilatura.extract` over all
  documents in that process; CPU = process user+sys
- ours: whole `curate run --runner local --force --quiet` in a fresh process (start-up, imports,
  read + decode, extraction child, fragments, commit); CPU = user+sys of curate **and** its extraction
  child (`getrusage(RUSAGE_CHILDREN)`); the two never run at once, so wall-clock docs/s is per core too
- **the ratio uses docs per CPU second, median over rounds of the paired ratio** (per-round values
  in brackets); best/best and wall-clock (median/median) ratios are shown beside it
- ours reject reasons (last run of each): {reasons}

{table_md}
{chr(10) + ray_md + chr(10) if ray_md else ''}
**{verdict}**
"""
        update_results(SECTION, body)
        print(f"wrote section '{SECTION}' to {RESULTS}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
