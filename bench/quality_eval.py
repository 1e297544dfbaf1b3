"""Keep rate per language: our quality rules vs DataTrove's default filters, same records.

1. ``curate run`` (local runner, ``pipelines/configs/web.yaml``, dedup off) over the shared WARC
   set. The records compared are those that reached the quality stage: text, a language, and
   no rejection from the reader, URL filter, extraction or language ID.
2. DataTrove 0.10.1 runs in its own virtual environment (``bench/_work/datatrove-venv``, created
   here on first use, never mixed with ours) on exactly those texts: GopherRepetitionFilter,
   FineWebQualityFilter and GopherQualityFilter with their default arguments (English stop words
   and English word tokenizer, which is what "default" means for them).

    .venv/bin/python bench/quality_eval.py [--reuse OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _common import DATA, ROOT, command_line, load_config_dict, machine_line, md_table, now, run_curate, update_results
from _datatrove_env import datatrove_python

WORK = ROOT / "bench" / "_work" / "quality_eval"
BEFORE_QUALITY = ("input_", "revisit", "no_http", "http_status", "payload_", "content_encoding", "unsupported_content",
                  "non_html", "empty_payload", "extract_", "language_", "url_", "binary_")

# Runs inside DataTrove's venv: reads records.parquet, writes one verdict per record.
DT_SCRIPT = r"""
import json, sys
import pyarrow.parquet as pq
from datatrove.data import Document
from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
t = pq.read_table(sys.argv[1]).to_pylist()
filters = [GopherRepetitionFilter(), FineWebQualityFilter(), GopherQualityFilter()]
out = []
for r in t:
    doc = Document(text=r["text"], id=r["id"])
    verdict = None
    for f in filters:
        res = f.filter(doc)
        ok, why = (res, None) if isinstance(res, bool) else res
        if not ok:
            verdict = f"{type(f).__name__}:{why}"
            break
    out.append({"id": r["id"], "reject": verdict})
json.dump(out, open(sys.argv[2], "w"))
"""


def _rate(c: Counter, key: str) -> str:
    return f"{c[key]} ({c[key] / c['docs']:.0%})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reuse", type=Path, help="an existing output dir of this bench's curate run")
    args = ap.parse_args()
    machine = machine_line()
    WORK.mkdir(parents=True, exist_ok=True)
    inputs = sorted(str(p) for p in (DATA / "warc").glob("*.warc.gz"))
    out = args.reuse or WORK / "out"
    run_note = f"reused `{out}`"
    if not args.reuse:
        cfg = load_config_dict()
        cfg["dedup"]["enabled"] = False  # dedup is not a quality rule; keep it out of the comparison
        cfg.setdefault("stats", {})["enabled"] = False
        m = run_curate(cfg, inputs, out)
        if m.rc != 0:
            raise SystemExit(f"curate run failed: {m.stderr.strip().splitlines()[-1:]}")
        run_note = f"`curate run` wall {m.wall_s:.0f} s"
    rows = []
    for f in sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet")):
        t = pq.read_table(f)
        cols = [c for c in ("id", "text", "language", "reject_reason", "source") if c in t.column_names]
        rows += t.select(cols).to_pylist()
    records = [r for r in rows if r.get("text") and r.get("language")
               and not (r.get("reject_reason") or "").startswith(BEFORE_QUALITY)]
    pq.write_table(pa.table({"id": [r["id"] for r in records], "text": [r["text"] for r in records]}),
                   WORK / "records.parquet")
    py = datatrove_python()
    (WORK / "dt_filters.py").write_text(DT_SCRIPT, encoding="utf-8")
    subprocess.run([str(py), str(WORK / "dt_filters.py"), str(WORK / "records.parquet"), str(WORK / "dt.json")],
                   check=True)
    dt = {r["id"]: r["reject"] for r in json.loads((WORK / "dt.json").read_text(encoding="utf-8"))}

    per: dict[str, Counter] = defaultdict(Counter)
    dt_reasons: Counter = Counter()
    our_reasons: Counter = Counter()
    for r in records:
        lang, reason = r["language"], r.get("reject_reason")
        c = per[lang]
        c["docs"] += 1
        c["ours_quality"] += not (reason or "").startswith("quality_")
        c["ours_all"] += reason is None
        c["dt"] += dt[r["id"]] is None
        if dt[r["id"]]:
            dt_reasons[dt[r["id"]].split(":")[0]] += 1
        if reason:
            our_reasons[reason] += 1
    table_rows = []
    tot: Counter = Counter()
    for lang, c in sorted(per.items(), key=lambda kv: (-kv[1]["docs"], kv[0])):
        tot.update(c)
        table_rows.append([lang, c["docs"], *(_rate(c, k) for k in ("ours_quality", "ours_all", "dt"))])
    table_rows.append(["**all**", tot["docs"], *(_rate(tot, k) for k in ("ours_quality", "ours_all", "dt"))])
    table = md_table(["language", "records", "ours: quality rules keep", "ours: quality + perplexity keep",
                      "DataTrove defaults keep"], table_rows)
    print(table)
    body = "\n".join([
        f"- date: {now()}",
        f"- machine: {machine}",
        f"- command: `{command_line()}`",
        f"- input: all `shared/data/warc/*.warc.gz` ({len(inputs)} files) through `curate run --runner local` with "
        f"`pipelines/configs/web.yaml`, dedup off ({run_note})",
        f"- records: {len(records)} documents that reached the quality stage (text and a language; not rejected by "
        "reader, URL filter, extraction or language ID); both sides judge the same extracted texts",
        "- ours: the quality stage with the shipped `filters/assets/thresholds.yaml` (calibrated with pages-udhr held "
        "out), and the same plus the perplexity stage",
        "- DataTrove 0.10.1 in its own venv (`bench/_work/datatrove-venv`): GopherRepetitionFilter → "
        "FineWebQualityFilter → GopherQualityFilter, default arguments (English stop words and tokenizer)",
        f"- DataTrove first failing filter: {dict(dt_reasons.most_common())}",
        f"- our reasons among these records: {dict(our_reasons.most_common())}",
        "",
        table,
    ])
    update_results("Quality filters vs DataTrove defaults (bench/quality_eval.py)", body)


if __name__ == "__main__":
    main()
