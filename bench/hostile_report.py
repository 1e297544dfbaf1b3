"""Hostile inputs and injected faults: what happened to each, documents lost, duplicates published.

1. Hostile cases (tests/hostile/generate.py): one ``curate run`` (local runner) over every case
   file; per case: good pages kept (of 2), the bad input's reject reasons, and per-case cost
   measured separately (reader wall time and peak Python memory, extraction wall time).
2. Faults (the scenarios of tests/test_refresh_faults.py, same helpers): each faulty refresh is
   resumed and its published snapshot compared with a clean refresh of the same inputs:
   documents lost (clean minus faulty), unexpected documents, duplicate ids published.

    .venv/bin/python bench/hostile_report.py [--ray]    # --ray adds the Ray worker kill (minutes)
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow.parquet as pq  # noqa: E402
import yaml  # noqa: E402

from bench._common import ROOT, command_line, machine_line, md_table, now, update_results  # noqa: E402
from curation.cli import main as curate_main  # noqa: E402
from curation.config import ExtractConfig, ReadConfig  # noqa: E402
from curation.io.warc import iter_rows  # noqa: E402
from curation.refresh import snapshot  # noqa: E402
from curation.schema import from_rows  # noqa: E402
from filters.extract import ExtractStage  # noqa: E402
from tests import fault_util as fu  # noqa: E402
from tests import test_refresh_faults as rf  # noqa: E402
from tests.hostile import generate as gen  # noqa: E402

# --------------------------------------------------------------------------- hostile cases

def hostile(tmp: Path) -> tuple[str, int]:
    files = gen.write_all(tmp / "cases")
    good = gen.good_pages()
    data = yaml.safe_load((ROOT / "pipelines/configs/web.yaml").read_text())
    for section in ("quality", "perplexity", "dedup", "stats"):
        data.setdefault(section, {})["enabled"] = False
    cfg = tmp / "web.yaml"
    cfg.write_text(yaml.safe_dump(data))
    out = tmp / "out"
    argv = ["run", str(cfg), "--runner", "local", "--output", str(out), "--quiet"]
    for p in files.values():
        argv += ["--input", str(p)]
    t0 = time.perf_counter()
    rc = curate_main(argv)
    job_s = time.perf_counter() - t0
    parts = sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet"))
    rows = [r for f in parts for r in pq.read_table(f, columns=["source", "url", "reject_reason"]).to_pylist()]

    stage = ExtractStage(ExtractConfig())
    stage.setup()
    table = []
    failures = 0
    try:
        for case in gen.CASES:
            path = files[case.name]
            mine = [r for r in rows if r["source"] == str(path)]
            urls = gen.good_urls(case, good)
            kept = sum(1 for r in mine if r["url"] in urls and r["reject_reason"] is None)
            bad = Counter(r["reject_reason"] or "kept" for r in mine if r["url"] not in urls)
            ok = kept == 2 and bool(bad) and {None if k == "kept" else k for k in bad} <= case.allowed
            failures += not ok
            tracemalloc.start()
            t = time.perf_counter()
            read = list(iter_rows(str(path), "bench", ReadConfig()))
            read_s = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            t = time.perf_counter()
            stage(from_rows(read))
            extract_s = time.perf_counter() - t
            table.append([case.name, case.what, f"{kept}/2", ", ".join(f"{k} ×{v}" for k, v in sorted(bad.items())),
                          f"{read_s:.2f}", f"{peak / 1e6:.1f}", f"{extract_s:.2f}", "PASS" if ok else "FAIL"])
    finally:
        stage.teardown()
    body = (f"One `curate run --runner local` over all {len(gen.CASES)} case files: exit code {rc}, "
            f"{job_s:.1f} s. Caps: `read.max_payload_bytes` = {ReadConfig().max_payload_bytes:,}, "
            f"`read.max_url_chars` = {ReadConfig().max_url_chars:,}, `extract.timeout_s` = "
            f"{ExtractConfig().timeout_s:g}, extraction child address space 4 GiB. Per-case cost is measured "
            f"on its own file (3 records: good, bad, good).\n\n"
            + md_table(["case", "input", "good kept", "bad input ended as", "read s", "read peak MB",
                        "extract s", "result"], table))
    return body, failures + (rc != 0)


# --------------------------------------------------------------------------- faults

def _published_ids(out: Path) -> tuple[set[tuple[str, str]], int]:
    t = snapshot.read_published(out, ["id", "text"])
    ids = t.column("id").to_pylist()
    rows = {(i, hashlib.sha256((x or "").encode()).hexdigest()) for i, x in zip(ids, t.column("text").to_pylist())}
    return rows, len(ids) - len(set(ids))


def _row(name: str, injected: str, crashed: str, out: Path, ref: set, extra: str = "") -> list:
    got, dups = _published_ids(out)
    lost, unexpected = len(ref - got), len(got - ref)
    ok = lost == 0 and unexpected == 0 and dups == 0
    if lost:  # say where the lost documents went
        ids = {i for i, _ in ref - got}
        where = Counter(f"{r['reject_reason']}: {(r['reject_detail'] or '')[:60]}"
                        for f in sorted(out.glob("rejected/*.parquet"))
                        for r in pq.read_table(f, columns=["id", "reject_reason", "reject_detail"]).to_pylist()
                        if r["id"] in ids)
        changed = len(ids & {i for i, _ in got})
        extra = f"{extra}; lost: {dict(where)}, text changed: {changed}".strip("; ").replace("|", "/")
    return [name, injected, crashed, len(ref), len(got), lost, unexpected, dups, extra, "PASS" if ok else "FAIL"]


def faults(tmp: Path, with_ray: bool) -> tuple[str, int, int, int]:
    tmp.mkdir(parents=True, exist_ok=True)
    names2, names1 = rf.NIGHT2, rf.NIGHT1
    one, two = tmp / "clean-one", tmp / "clean-two"
    assert rf.run(rf.config(tmp / "one.yaml", one, names2)).returncode == 0
    assert rf.run(rf.config(tmp / "n1.yaml", two, names1)).returncode == 0
    assert rf.run(rf.config(tmp / "n2.yaml", two, names2)).returncode == 0
    ref_one, _ = _published_ids(one)
    ref_two, _ = _published_ids(two)
    rows = []

    out = tmp / "f1"
    cfg = rf.config(tmp / "f1.yaml", out, names2)
    c = rf.run(cfg, "after_shard_before_ledger:2")
    r = rf.run(cfg)
    rows.append(_row("crash between a unit's files and its ledger row", "`CURATION_FAULT=after_shard_before_ledger:2`",
                     f"rc {c.returncode}, then resumed rc {r.returncode}", out, ref_one,
                     "stale lock taken over" if "took over a stale lock" in r.stderr else "lock NOT taken over"))

    out = tmp / "f2"
    assert rf.run(rf.config(tmp / "f2a.yaml", out, names1)).returncode == 0
    cfg = rf.config(tmp / "f2b.yaml", out, names2)
    c = rf.run(cfg, "publish_before_pointer")
    during = snapshot.current(out)
    r = rf.run(cfg)
    rows.append(_row("crash during publish", "`CURATION_FAULT=publish_before_pointer`",
                     f"rc {c.returncode}, then resumed rc {r.returncode}", out, ref_two,
                     f"CURRENT stayed {during} after the crash"))

    out = tmp / "f3"
    cfg = rf.config(tmp / "f3.yaml", out, names2)
    d = fu.Driver(rf.refresh_args(cfg), tmp / "f3.log")
    fu.wait_until(lambda: fu.ledger_units(out), 600, "a committed unit", d, interval=0.05)
    d.kill()
    d.reap(grace=5)
    committed = len(fu.ledger_units(out))
    r = rf.run(cfg)
    rows.append(_row("driver killed mid-run, then resumed", "SIGKILL of `curate refresh` after its first commit",
                     f"killed with {committed}/{len(names2)} units committed, resumed rc {r.returncode}", out,
                     ref_one))

    out = tmp / "f4"
    cfg = rf.config(tmp / "f4.yaml", out, names2)
    release = tmp / "f4.release"
    env = fu.env() | {"CURATION_PAUSE": "refresh_after_lock", "CURATION_PAUSE_FILE": str(release)}
    a = subprocess.Popen(rf.refresh_args(cfg), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    fu.wait_until(lambda: (out / "_lock").exists(), 120, "the first lock")
    b = rf.run(cfg)
    release.touch()
    a_rc = a.wait(600)
    rows.append(_row("two refreshes started at once", "second `curate refresh` while the first holds `_lock`",
                     f"first rc {a_rc}, second rc {b.returncode}", out, ref_one,
                     b.stderr.strip().split(": ", 2)[-1][:90].replace("|", "/")))

    out = tmp / "f5"
    cfg = rf.config(tmp / "f5.yaml", out, names2)
    c = rf.run(cfg, "refresh_after_lock")
    r = rf.run(cfg)
    rows.append(_row("refresh killed holding the lock", "`CURATION_FAULT=refresh_after_lock`",
                     f"rc {c.returncode}, then rc {r.returncode}", out, ref_one,
                     "stale lock taken over" if "took over a stale lock" in r.stderr else "lock NOT taken over"))

    if with_ray:
        out = tmp / "f6"
        cfg = rf.config(tmp / "f6.yaml", out, [fu.BIG, *names2], runner="ray")
        data = yaml.safe_load(cfg.read_text())
        data["extract"]["batch_size"] = data["langid"]["batch_size"] = 8
        cfg.write_text(yaml.safe_dump(data))
        clean = tmp / "f6-clean"
        assert rf.run(rf.config(tmp / "f6c.yaml", clean, [fu.BIG, *names2])).returncode == 0
        ref_big, _ = _published_ids(clean)
        d = fu.Driver(rf.refresh_args(cfg), tmp / "f6.log")
        victim = fu.wait_until(lambda: (fu.extraction_actors(d) or [None])[0], 600, "an extraction actor", d)
        fu.wait_until(lambda: list((out / "_tmp").glob("*/*/*.parquet")) or fu.ledger_units(out), 600, "work", d)
        victim.kill()
        rc = d.wait(1800)
        d.reap(grace=15)
        rows.append(_row("Ray extraction worker killed mid-stage", "SIGKILL of a `ray::MapWorker` running extraction",
                         f"run rc {rc} (actor restarted by Ray Data)", out, ref_big, "+ pages-trafilatura-eval (990)"))

    header = ["fault", "injected by", "what happened", "clean docs", "published docs", "lost", "unexpected",
              "duplicate ids", "note", "result"]
    lost = sum(r[5] for r in rows)
    dups = sum(r[7] for r in rows)
    failures = sum(r[-1] != "PASS" for r in rows)
    body = (f"Inputs: {', '.join(names2)} (local runner, quality/perplexity off, extraction + langid + "
            f"MinHash + post-commit dedup on). Each faulty refresh is resumed by a plain rerun and its published "
            f"snapshot compared with a clean refresh of the same inputs ((id, sha256(text)) sets).\n\n"
            + md_table(header, rows))
    return body, lost, dups, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ray", action="store_true", help="also kill a Ray extraction worker mid-stage (slow)")
    args = ap.parse_args()
    header = f"- date: {now()}\n- machine: {machine_line()}\n- command: `{command_line()}`\n"
    with tempfile.TemporaryDirectory(prefix="hostile-report-") as d:
        tmp = Path(d)
        hostile_body, hostile_failures = hostile(tmp / "h")
        fault_body, lost, dups, fault_failures = faults(tmp / "f", args.ray)
    summary = (f"**documents lost: {lost} (target 0); duplicates published: {dups} (target 0); "
               f"hostile cases failing: {hostile_failures}; faults failing: {fault_failures}**")
    body = f"{header}\n{summary}\n\n### Hostile inputs\n\n{hostile_body}\n\n### Injected faults\n\n{fault_body}\n"
    update_results("Hostile inputs and faults (bench/hostile_report.py)", body)
    print(body)
    return 0 if not (lost or dups or hostile_failures or fault_failures) else 1


if __name__ == "__main__":
    sys.exit(main())
