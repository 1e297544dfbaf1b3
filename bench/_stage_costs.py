"""What each stage of ``web.yaml`` costs per document, in one process with no runner around it.

Run by ``bench/peer_datatrove.py`` as a whole process on the same pages: the records are decoded
with the project's reader, then every stage of ``pipelines.web.build_stages`` runs over them in
batches, as an actor would, timed stage by stage (wall clock: the process is alone, and
extraction runs in a child process that this one waits for). Also times
``trafilatura.extract`` in this process on the same HTML. Prints one JSON line.

Why: it separates the work the filters do from what a runner adds around them. The ratio
extract ÷ (all stages) bounds ours / plain trafilatura for any runner, however lean.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="first N records (0: all)")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    from bench._common import load_config_dict, parsed, read_records
    from bench.extraction_quality import plain_extract
    from curation import schema
    from curation.runners.local import apply_stage
    from filters.extract import trafilatura_options
    from pipelines.web import build_stages

    cfg = parsed(load_config_dict())
    rows = read_records(args.inputs)
    rows = rows[: args.limit] if args.limit else rows
    stages = build_stages(cfg)
    for stage in stages:
        stage.setup()
    seconds = {type(s).__name__: 0.0 for s in stages}
    batch = cfg.extract.batch_size
    for i in range(0, len(rows), batch):
        table = schema.from_rows(rows[i:i + batch])
        for stage in stages:
            t0 = time.perf_counter()
            table = apply_stage(stage, table)
            seconds[type(stage).__name__] += time.perf_counter() - t0
    for stage in stages:
        stage.teardown()
    _, plain, _ = plain_extract(rows, trafilatura_options(cfg.extract))
    print(json.dumps({"docs": len(rows), "stages": seconds, "plain_extract": plain, "batch": batch}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
