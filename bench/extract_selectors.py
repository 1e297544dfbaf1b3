"""Stock trafilatura vs trafilatura with its selectors evaluated in Python, same process.

``extract.accelerate_selectors`` (``filters/trafilatura_accel.py``) replaces trafilatura's
node-selecting XPaths by :mod:`filters.xpath_compile` equivalents. This benchmark extracts every
shared page (``pages-*.warc.gz``) with the pipeline's options, alternating stock and accelerated
passes in one process, checks that every text is identical, and reports CPU seconds per page
(median of the passes) and the ratio. Writes the "Extraction selectors" section of
bench/RESULTS.md::

    .venv/bin/python bench/extract_selectors.py [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import DATA, machine_line, read_records, update_results  # noqa: E402

TITLE = "Extraction selectors (bench/extract_selectors.py)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import trafilatura

    from curation.config import ExtractConfig
    from filters.extract import trafilatura_options
    from filters.trafilatura_accel import install, restore, snapshot

    files = sorted((DATA / "warc").glob("pages-*.warc.gz"))
    pages = [r["_html"] for r in read_records(map(str, files)) if r.get("_html") is not None]
    options = trafilatura_options(ExtractConfig())
    stock_lists = snapshot()

    def run() -> tuple[float, list[str | None]]:
        t0 = time.process_time()
        texts = [trafilatura.extract(page, **options) for page in pages]
        return time.process_time() - t0, texts

    replaced = install()
    accel_lists = snapshot()
    times: dict[str, list[float]] = {"stock": [], "accelerated": []}
    outputs: dict[str, list[str | None]] = {}
    for _ in range(args.repeat):
        for kind, lists in (("stock", stock_lists), ("accelerated", accel_lists)):
            restore(lists)
            seconds, texts = run()
            times[kind].append(seconds)
            if outputs.setdefault(kind, texts) != texts:
                raise SystemExit(f"{kind}: texts differ between passes")
    restore(stock_lists)
    identical = outputs["stock"] == outputs["accelerated"]
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["stock"] / med["accelerated"]
    n = len(pages)
    body = "\n".join([
        f"- date: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        f"- machine: {machine_line()}",
        f"- command: `.venv/bin/python bench/extract_selectors.py --repeat {args.repeat}`",
        f"- input: {n} pages with HTML from `pages-*.warc.gz`; options {options}",
        f"- CPU seconds of this process per pass (`time.process_time`), passes alternating; "
        f"stock {', '.join(f'{t:.2f}' for t in times['stock'])}; accelerated "
        f"{', '.join(f'{t:.2f}' for t in times['accelerated'])}",
        f"- selectors replaced: {sum(replaced.values())} in {len(replaced)} lists ({', '.join(sorted(replaced))}); "
        "the others (named steps, unions, `//` from the root) stay lxml's",
        "",
        "| extraction | ms CPU per page (median) | texts |",
        "|---|---|---|",
        f"| stock trafilatura | {med['stock'] / n * 1000:.2f} | |",
        f"| selectors in Python | {med['accelerated'] / n * 1000:.2f} | "
        f"{'identical to stock on every page' if identical else 'DIFFER'} |",
        "",
        f"**stock / accelerated CPU per page: {ratio:.2f}** (same text: {'yes' if identical else 'NO'})",
    ])
    print(body)
    if not args.no_write:
        update_results(TITLE, body)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
