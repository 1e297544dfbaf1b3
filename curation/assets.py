"""Where set-up puts built assets (models, binaries) so every process finds them.

Assets live under the interpreter's prefix (``.venv/share/curation`` after
``scripts/setup.sh``), not in the repository: a ``ray job submit --working-dir .`` copy of the
repo leaves out ignored build output, but the job runs with the same venv, so ``sys.prefix``
still points at them. ``CURATION_ASSETS`` overrides the location (e.g. a shared mount).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def assets_root() -> Path:
    return Path(os.environ.get("CURATION_ASSETS") or Path(sys.prefix) / "share" / "curation")


def asset_dir(kind: str) -> Path:
    """``assets_root()/kind``, e.g. ``asset_dir("kenlm")`` for the default KenLM models."""
    return assets_root() / kind


def asset_bin(name: str) -> Path:
    """A binary that set-up built into the venv (e.g. ``lmplz``); ``CURATION_BIN`` overrides."""
    return Path(os.environ.get("CURATION_BIN") or Path(sys.prefix) / "bin") / name
