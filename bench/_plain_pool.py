"""Plain trafilatura with N worker processes: the extraction limit, measured like the pipelines.

Run as a whole process by ``bench/peer_datatrove.py`` (start-up, decoding and the pool
included, as for DataTrove and ours): the records are decoded with the project's reader, then
``trafilatura.extract`` with the options of ``pipelines/configs/web.yaml`` runs in a
``multiprocessing`` pool of ``--workers`` processes. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_OPTIONS: dict[str, Any] = {}


def _init(options: dict[str, Any]) -> None:
    import trafilatura  # noqa: F401 - imported once per worker, outside the timed calls

    _OPTIONS.update(options)


def _extract(html: str) -> bool:
    import trafilatura

    try:
        return bool(trafilatura.extract(html, **_OPTIONS))
    except Exception:  # noqa: BLE001 - an error is an empty result, as in the pipeline
        return False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    from bench._common import load_config_dict, parsed, read_records
    from filters.extract import trafilatura_options

    options = trafilatura_options(parsed(load_config_dict()).extract)
    html = [r["_html"] for r in read_records(args.inputs) if r.get("_html") is not None]
    with multiprocessing.get_context("fork").Pool(args.workers, _init, (options,)) as pool:
        kept = sum(pool.imap_unordered(_extract, html, chunksize=8))
    print(json.dumps({"docs": len(html), "non_empty": kept}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
