"""Extraction quality: our pipeline's main text vs plain trafilatura on trafilatura's eval set.

What it measures
----------------
The 990 pages of ``pages-trafilatura-eval.warc.gz`` are scored against
``gold/trafilatura-evaldata.json`` (per URL: ``with`` = snippets that must appear in the
extracted main text, ``without`` = snippets that must not), the way trafilatura's own
evaluation does it (plain substring tests on the extracted text):

* **ours**: a real ``curate run`` (local runner, ``pipelines/configs/web.yaml`` with
  ``langid.enabled: false`` unless ``--langid``) into a temporary directory; the Parquet output
  (``data/language=*/part-*.parquet`` + ``rejected/part-*.parquet``) is read back and the
  ``text`` of every row is scored. Rows rejected by language ID keep their text and are
  scored too, so language decisions never count against extraction.
* **plain**: ``trafilatura.extract(html, **trafilatura_options(cfg.extract))`` in this process,
  on the HTML decoded by the project's own reader (``curation.io.warc.iter_rows``, column
  ``_html``), so both sides see the same decoded string.

Reported for both: share of ``with`` snippets present, share of ``without`` snippets absent,
precision/recall/F1/accuracy over snippets, number of docs, and the difference. PASS when ours
is not worse than plain on both shares (``--tolerance`` allows slack).

Gold URLs are matched to ``WARC-Target-URI`` exactly first, then after stripping whitespace
and percent-encoding spaces (warcio rewrites a space in a target URI to ``%20``; some gold
keys carry a trailing space), then after percent-decoding. Odd URIs such as ``xhttps://…`` or
``hard::name.html`` are real keys of the gold file and match exactly.

Usage: ``.venv/bin/python bench/extraction_quality.py [--limit N] [--langid] [--no-write]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (  # noqa: E402
    DATA,
    DEFAULT_CONFIG,
    RESULTS,
    command_line,
    config_with,
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
from filters.extract import trafilatura_options  # noqa: E402

SECTION = "Extraction quality (bench/extraction_quality.py)"


def url_keys(url: str) -> list[str]:
    """Candidate spellings of a URL, most exact first."""
    stripped = url.strip()
    spaced = stripped.replace(" ", "%20")
    keys = [url, stripped, spaced, unquote(spaced)]
    out: list[str] = []
    for k in keys:
        if k not in out:
            out.append(k)
    return out


def build_gold_index(gold: dict[str, Any]) -> dict[str, str]:
    """Map every spelling of a gold URL to its gold key (exact spellings win)."""
    index: dict[str, str] = {}
    for rank in range(4):
        for key in gold:
            keys = url_keys(key)
            if rank < len(keys):
                index.setdefault(keys[rank], key)
    return index


def match_gold(url: str | None, index: dict[str, str]) -> str | None:
    if url is None:
        return None
    for k in url_keys(url):
        if k in index:
            return index[k]
    return None


@dataclass
class Score:
    docs: int = 0
    empty: int = 0  # docs with no text at all
    tp: int = 0  # `with` snippet present
    fn: int = 0  # `with` snippet missing
    tn: int = 0  # `without` snippet absent
    fp: int = 0  # `without` snippet present
    per_doc: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, key: str, text: str | None, item: dict[str, Any]) -> None:
        self.docs += 1
        if not text or not text.strip():
            text = None
            self.empty += 1
        tp = sum(1 for s in item.get("with", []) if text is not None and s in text)
        fp = sum(1 for s in item.get("without", []) if text is not None and s in text)
        self.tp += tp
        self.fn += len(item.get("with", [])) - tp
        self.fp += fp
        self.tn += len(item.get("without", [])) - fp
        self.per_doc[key] = (tp, fp)

    @property
    def with_share(self) -> float:
        return self.tp / max(1, self.tp + self.fn)

    @property
    def without_share(self) -> float:
        return self.tn / max(1, self.tn + self.fp)

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.with_share

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(1, self.tp + self.tn + self.fp + self.fn)


def plain_extract(rows: list[dict[str, Any]], options: dict[str, Any]) -> tuple[dict[str, str | None], float, int]:
    import trafilatura

    texts: dict[str, str | None] = {}
    errors = 0
    t0 = time.perf_counter()
    for row in rows:
        html = row.get("_html")
        if html is None or row.get("url") is None:
            continue
        try:
            texts[row["url"]] = trafilatura.extract(html, **options)
        except Exception:  # noqa: BLE001 - counted, scored as empty
            texts[row["url"]] = None
            errors += 1
    return texts, time.perf_counter() - t0, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warc", type=Path, default=DATA / "warc" / "pages-trafilatura-eval.warc.gz")
    ap.add_argument("--gold", type=Path, default=DATA / "gold" / "trafilatura-evaldata.json")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="base pipeline config (default: web.yaml)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records (quick run)")
    ap.add_argument("--langid", action="store_true",
                    help="keep language ID on (default off); all rows with text are scored either way")
    ap.add_argument("--tolerance", type=float, default=0.0,
                    help="allowed shortfall of ours vs plain on each share (default 0)")
    ap.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                    help=f"write the section into {RESULTS.relative_to(RESULTS.parents[1])} "
                         "(default: yes for full runs, no with --limit)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the pipeline output in this directory")
    ap.add_argument("--note", default="other agents were using the CPUs at the same time",
                    help="a remark on the machine's state, written into RESULTS.md")
    ap.add_argument("--show", type=int, default=5, help="list up to N docs where ours and plain differ")
    args = ap.parse_args(argv)
    write = args.write if args.write is not None else args.limit is None

    import json

    gold: dict[str, Any] = json.loads(args.gold.read_text(encoding="utf-8"))
    index = build_gold_index(gold)
    started, machine = now(), machine_line()
    print(machine, file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp_s:
        tmp = Path(tmp_s)
        inputs = slice_warcs([args.warc], args.limit, tmp)

        # Ours: a real `curate run` with the local runner.
        base = load_config_dict(args.config)
        cfg_dict = config_with(base, langid=args.langid)
        # Not extraction: the URL filter rejects before extracting (no text to score), and the
        # post-commit dedup phase rejects copies and cuts repeated spans out of the texts.
        cfg_dict.setdefault("url_filter", {})["enabled"] = False
        cfg_dict.setdefault("dedup", {})["enabled"] = False
        cfg = parsed(cfg_dict)
        out = args.keep or tmp / "out"
        print(f"ours: curate run (local runner, langid {'on' if args.langid else 'off'}) -> {out}", file=sys.stderr)
        run = run_curate(cfg_dict, inputs, out, runner="local", force=True, workdir=tmp)
        if run.rc != 0:
            print(run.stderr, file=sys.stderr)
            print(f"FAIL: curate run exited with {run.rc}")
            return 1
        table = read_output(out)
        ours_rows = table.to_pylist()
        ours = {r["url"]: r for r in ours_rows if r["url"] is not None}

        # Plain: trafilatura.extract on the same decoded HTML, same options.
        options = trafilatura_options(cfg.extract)
        t0 = time.perf_counter()
        records = read_records(inputs)
        decode_s = time.perf_counter() - t0
        print(f"plain: trafilatura.extract(html, **{options}) on {len(records)} records", file=sys.stderr)
        plain, plain_s, plain_errors = plain_extract(records, options)

    record_urls = [r["url"] for r in records if r.get("url") is not None]
    matched: dict[str, str] = {}
    unmatched_records = []
    for url in record_urls:
        key = match_gold(url, index)
        if key is None:
            unmatched_records.append(url)
        else:
            matched[url] = key
    exact = sum(1 for u, k in matched.items() if u == k)
    gold_missing = len(gold) - len(set(matched.values()))

    s_ours, s_plain = Score(), Score()
    missing_in_output = 0
    reasons: dict[str, int] = {}
    differ: list[str] = []
    for url, key in matched.items():
        item = gold[key]
        row = ours.get(url)
        if row is None:
            missing_in_output += 1
        text_ours = row["text"] if row else None
        reason = row["reject_reason"] if row else "missing_in_output"
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
        s_ours.add(key, text_ours, item)
        text_plain = plain.get(url)
        s_plain.add(key, text_plain, item)
        if (text_ours or None) != (text_plain if text_plain and text_plain.strip() else None):
            differ.append(url)

    d_with = s_ours.with_share - s_plain.with_share
    d_without = s_ours.without_share - s_plain.without_share
    ok = (d_with >= -args.tolerance and d_without >= -args.tolerance and s_ours.docs > 0
          and missing_in_output == 0)

    rows = []
    for name, s in (("ours (curate run, local)", s_ours), ("plain trafilatura.extract", s_plain)):
        rows.append([name, s.docs, s.empty, f"{s.with_share:.4f} ({s.tp}/{s.tp + s.fn})",
                     f"{s.without_share:.4f} ({s.tn}/{s.tn + s.fp})", f"{s.precision:.4f}", f"{s.recall:.4f}",
                     f"{s.f1:.4f}", f"{s.accuracy:.4f}"])
    rows.append(["difference (ours - plain)", s_ours.docs - s_plain.docs, s_ours.empty - s_plain.empty,
                 f"{d_with:+.4f}", f"{d_without:+.4f}", f"{s_ours.precision - s_plain.precision:+.4f}",
                 f"{s_ours.recall - s_plain.recall:+.4f}", f"{s_ours.f1 - s_plain.f1:+.4f}",
                 f"{s_ours.accuracy - s_plain.accuracy:+.4f}"])
    table_md = md_table(["extractor", "docs", "empty", "`with` present", "`without` absent", "precision",
                         "recall", "F1", "accuracy"], rows)
    verdict = (f"{'PASS' if ok else 'FAIL'}: ours {'is not worse than' if ok else 'is worse than'} plain trafilatura "
               f"(with {d_with:+.4f}, without {d_without:+.4f}, tolerance {args.tolerance:g})")
    diff_lines = []
    for url in differ[: args.show]:
        row = ours.get(url) or {}
        diff_lines.append(f"  - {url}: ours reject_reason={row.get('reject_reason')}, "
                          f"ours {len(row.get('text') or '')} chars vs plain {len(plain.get(url) or '')} chars")

    print()
    print(table_md)
    print()
    print(f"records read: {len(records)}; gold entries: {len(gold)}; matched: {len(matched)} "
          f"({exact} exact, {len(matched) - exact} after normalisation); records without gold: "
          f"{len(unmatched_records)}; gold entries without record: {gold_missing}")
    print(f"ours: rows {len(ours_rows)}, reject reasons among matched {reasons or '{}'}, wall {run.wall_s:.1f} s "
          f"(whole curate run incl. start-up), CPU {run.cpu_s:.1f} s")
    print(f"plain: decode (iter_rows) {decode_s:.1f} s, extract {plain_s:.1f} s, exceptions {plain_errors}")
    print(f"docs whose text differs between ours and plain: {len(differ)}")
    for line in diff_lines:
        print(line)
    print(verdict)

    if write:
        scope = "all records" if args.limit is None else f"first {args.limit} records only (--limit)"
        body = f"""
- date: {started}
- machine: {machine}; {args.note}
- command: `{command_line()}`
- input: `{args.warc.name}` ({scope}), gold `{args.gold.name}`
- ours: `curate run` with the local runner, `{args.config.relative_to(args.config.parents[2])}` with
  `langid.enabled: {str(args.langid).lower()}`, `url_filter.enabled: false`, `dedup.enabled: false`
  (neither is extraction); every output row's `text` is scored (language-ID
  rejections keep their text and are scored, so they never count against extraction)
- plain: `trafilatura.extract(html, **trafilatura_options(cfg.extract))` =
  `{options}`, on the `_html` column of `curation.io.warc.iter_rows` (the pipeline's own reader
  and charset decoding, so both sides extract from the same string)
- URL matching: {len(matched)} of {len(gold)} gold entries matched ({exact} exactly, {len(matched) - exact} after
  stripping whitespace / encoding spaces as `%20`); records without a gold entry: {len(unmatched_records)}
- ours: wall {run.wall_s:.1f} s for the whole `curate run` (CPU incl. the extraction child {run.cpu_s:.1f} s);
  reject reasons among scored docs: {reasons or 'none'}
- plain: extract {plain_s:.1f} s (decode {decode_s:.1f} s, not included); exceptions: {plain_errors}
- docs whose extracted text differs between ours and plain: {len(differ)}

{table_md}

**{verdict}**
"""
        update_results(SECTION, body)
        print(f"wrote section '{SECTION}' to {RESULTS}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
