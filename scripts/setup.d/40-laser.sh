#!/usr/bin/env bash
# LASER sentence embeddings for the parallel pipeline (issue 6).
# laser-encoders 0.0.2 asks for fairseq>=0.12.2, which does not install on Python 3.11; the
# fairseq-fixed fork provides the same `fairseq` module, so laser-encoders goes in with --no-deps.
# torch is pinned: torch==2.13.0 resolves to the CPU build here, an unpinned torch pulls GBs of CUDA.
# LASER weights are NOT downloaded (no machine here reaches that host): users run
#   python -m laser_encoders.download_models --laser laser2 --model-dir DIR
# and set laser.model_dir; the tests build a tiny LASER-format checkpoint themselves.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
if "$PY" -c "import torch, fairseq, sentencepiece, sacremoses; from laser_encoders import LaserEncoderPipeline" \
    >/dev/null 2>&1; then
  exit 0
fi
"$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q fairseq-fixed
"$PY" -m pip install -q --no-deps laser-encoders sacremoses==0.1.0 unicategories appdirs sentencepiece
"$PY" -c "from laser_encoders import LaserEncoderPipeline" >/dev/null
