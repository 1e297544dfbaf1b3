"""Dedup speed: MinHash signatures vs datasketch, exact-substring MB/s, and an end-to-end
near-duplicate run of the post-commit dedup phase on synthetic documents.

What it measures (all in one invocation, so the ratios share the machine's load)
--------------------------------------------------------------------------------
1. **Signatures.** ``--sig-docs`` documents of ~500 words (NTREX English sentences). The same
   word 5-gram shingles go to datasketch ``MinHash.update_batch`` (UTF-8 bytes of each shingle,
   its default SHA-1 hashing, ``scheme='legacy'``, 128 permutations; building the shingle list is
   not timed) and to ours (``MinHasher.from_hashes(batch_shingle_hashes(...))``: shingling and
   hashing included). Ours is also timed from raw text (normalisation included).
2. **Exact substrings.** ``dedup_substrings`` over ``--substring-mb`` MB of documents that share
   boilerplate spans, one process: MB/s per core.
3. **End to end.** ``--docs`` synthetic English documents (8 random NTREX sentences each;
   10% are copies of recent ones, half of them with one sentence replaced) are written as one language partition, then
   ``DedupPhase`` runs on it (read Parquet, signatures, banding, clustering with exact
   verification, rewrite files, cross-run index; substring step off): wall time and peak RSS.

Usage: ``.venv/bin/python bench/dedup_speed.py [--docs 1000000] [--sig-docs 3000] [--substring-mb 5] [--no-write]``
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import DATA, command_line, machine_line, md_table, now, update_results  # noqa: E402
from curation.config import DedupConfig, SubstringConfig  # noqa: E402
from dedup.minhash import MinHasher  # noqa: E402
from dedup.normalize import normalize  # noqa: E402
from dedup.phase import DedupPhase  # noqa: E402
from dedup.shingles import batch_shingle_hashes  # noqa: E402
from dedup.substring import dedup_substrings  # noqa: E402

SECTION = "Dedup speed (bench/dedup_speed.py)"


def sentences() -> list[str]:
    path = DATA / "ntrex128" / "newstest2019-src.eng.txt"
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]


def bench_signatures(lines: list[str], n_docs: int, ds_docs: int) -> tuple[list[list], dict]:
    from datasketch import MinHash

    rng = random.Random(1)
    texts = [" ".join(rng.sample(lines, 22)) for _ in range(n_docs)]
    norm = [normalize(t) for t in texts]
    words = [t.split() for t in norm]
    shingles = [[" ".join(w[i:i + 5]).encode() for i in range(len(w) - 4)] for w in words]
    hasher = MinHasher(num_perm=128, scheme="legacy")
    hasher.from_hashes(*batch_shingle_hashes(norm[:2], ["en"] * 2))  # compile once
    t0 = time.perf_counter()
    for s in shingles[:ds_docs]:
        m = MinHash(num_perm=128, scheme="legacy")
        m.update_batch(s)
    t_ds = time.perf_counter() - t0
    t0 = time.perf_counter()
    hasher.from_hashes(*batch_shingle_hashes(norm, ["en"] * n_docs))
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    hasher.signatures(texts, ["en"] * n_docs)
    t_raw = time.perf_counter() - t0
    words_per_doc = float(np.mean([len(w) for w in words]))
    ds_rate, ours_rate, raw_rate = ds_docs / t_ds, n_docs / t_ours, n_docs / t_raw
    rows = [["datasketch MinHash.update_batch (shingle bytes, SHA-1)", ds_docs, f"{t_ds:.2f}", f"{ds_rate:,.0f}",
             "1.0"],
            ["ours: shingles -> signatures (hashing included)", n_docs, f"{t_ours:.2f}", f"{ours_rate:,.0f}",
             f"{ours_rate / ds_rate:.1f}"],
            ["ours: raw text -> signatures (normalisation included)", n_docs, f"{t_raw:.2f}", f"{raw_rate:,.0f}",
             f"{raw_rate / ds_rate:.1f}"]]
    return rows, {"ratio": ours_rate / ds_rate, "words": words_per_doc}


def substring_docs(lines: list[str], mb: float) -> list[str]:
    """About ``mb`` MB of documents of NTREX sentences, each carrying one of 20 boilerplate spans."""
    rng = random.Random(2)
    boiler = [" ".join(rng.sample(lines, 4)) for _ in range(20)]
    texts: list[str] = []
    size = 0
    while size < mb * 1e6:
        body = [" ".join(rng.sample(lines, 3)) for _ in range(4)]
        body.insert(rng.randrange(5), rng.choice(boiler))
        texts.append("\n".join(body))
        size += len(texts[-1].encode())
    return texts


def bench_substring(lines: list[str], mb: float) -> tuple[float, float, int]:
    texts = substring_docs(lines, mb)
    size = sum(len(t.encode()) for t in texts)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    res = dedup_substrings(texts, ["en"] * len(texts), n=50)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return size / 1e6 / cpu, wall, int(res.removed_chars.sum())


def near_dup_docs(lines: list[str]) -> Iterator[str]:
    """Endless documents of 8 NTREX sentences; 10% copy one of the last 1,000 (half exactly,
    half with one sentence replaced). Seeded: every caller gets the same sequence."""
    rng = random.Random(3)
    recent: list[list[str]] = []
    while True:
        if recent and rng.random() < 0.1:
            doc = list(rng.choice(recent))
            if rng.random() < 0.5:
                doc[rng.randrange(len(doc))] = rng.choice(lines)
        else:
            doc = rng.sample(lines, 8)
        recent = (recent + [doc])[-1000:]
        yield "\n".join(doc)


def bench_end_to_end(lines: list[str], n_docs: int, tmp: Path) -> dict:
    data = tmp / "out" / "data" / "language=en"
    data.mkdir(parents=True)
    per_part = 100_000
    made = 0
    t0 = time.perf_counter()
    docs = near_dup_docs(lines)
    for part in range(0, n_docs, per_part):
        ids = [f"doc{i:08d}" for i in range(part, min(n_docs, part + per_part))]
        texts = list(islice(docs, len(ids)))
        pq.write_table(pa.table({"id": ids, "text": texts, "language": ["en"] * len(ids),
                                 "reject_reason": pa.nulls(len(ids), pa.string()),
                                 "reject_detail": pa.nulls(len(ids), pa.string())}),
                       data / f"part-{part // per_part:04d}.parquet")
        made += len(ids)
    t_gen = time.perf_counter() - t0
    cfg = DedupConfig(substring=SubstringConfig(enabled=False))
    t0 = time.perf_counter()
    summary = DedupPhase(tmp / "out", cfg).run()
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    lang = summary.languages[0]
    return {"docs": made, "gen_s": t_gen, "wall_s": wall, "peak_gb": peak_gb, "dups": lang.near_duplicates,
            "parts": lang.parts}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000, help="end-to-end documents (default 1,000,000)")
    ap.add_argument("--sig-docs", type=int, default=3000)
    ap.add_argument("--ds-docs", type=int, default=500, help="documents timed through datasketch")
    ap.add_argument("--substring-mb", type=float, default=5.0)
    ap.add_argument("--write", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args(argv)
    machine, started = machine_line(), now()
    lines = sentences()
    sig_rows, sig = bench_signatures(lines, args.sig_docs, args.ds_docs)
    print(md_table(["signatures (128 perms)", "docs", "s", "docs/s", "ratio"], sig_rows), flush=True)
    mbps, sub_wall, removed = bench_substring(lines, args.substring_mb)
    print(f"substring: {mbps:.2f} MB/s per core ({sub_wall:.1f} s wall, {removed:,} chars removed)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="dedup-speed-"))
    try:
        e2e = bench_end_to_end(lines, args.docs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ok_e2e = e2e["wall_s"] < 900 and e2e["peak_gb"] < 8
    body = "\n".join([
        f"- date: {started}", f"- machine: {machine}", f"- command: `{command_line()}`", "",
        f"### Signatures ({sig['words']:.0f} words per document, word 5-grams, 128 permutations, legacy scheme)", "",
        md_table(["method", "docs", "s", "docs/s", "ratio vs datasketch"], sig_rows), "",
        f"**{'PASS' if sig['ratio'] >= 10 else 'FAIL'}: signature throughput {sig['ratio']:.1f}x datasketch "
        "`MinHash.update_batch` on the same shingles (target >= 10x)**", "",
        "### Exact-substring removal", "",
        f"- {args.substring_mb:g} MB of English documents sharing boilerplate spans, N = 50 words, one process: "
        f"**{mbps:.2f} MB/s per core** (CPU time; wall {sub_wall:.1f} s), {removed:,} characters removed", "",
        "### End-to-end near-duplicate phase", "",
        f"- {e2e['docs']:,} synthetic documents (8 NTREX sentences each; 10% copies, half exact, half with one "
        f"sentence replaced) in {e2e['parts']} Parquet parts; "
        f"generating them took {e2e['gen_s']:.0f} s (not counted)",
        f"- `DedupPhase` (read, signatures, 14x8 banding, clustering with exact verification, rewrite, index; "
        f"substrings off): **{e2e['wall_s']:.0f} s wall, peak RSS {e2e['peak_gb']:.2f} GB** (whole benchmark "
        f"process), {e2e['dups']:,} near duplicates removed",
        f"**{'PASS' if ok_e2e else 'FAIL'}: target < 15 min and < 8 GB**",
    ])
    print(body)
    if args.write:
        update_results(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
