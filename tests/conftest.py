"""Shared fixtures: the real data beside the checkout, and small configs for fast runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CURATION_SHARED", REPO.parent / "shared"))

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    data = SHARED / "data"
    if not (data / "warc").is_dir():
        raise RuntimeError(f"the shared data set is missing: expected {data} (see shared/data/README.md)")
    return data


@pytest.fixture(scope="session")
def warc_dir(shared_data: Path) -> Path:
    return shared_data / "warc"


@pytest.fixture(scope="session")
def small_warcs(warc_dir: Path) -> list[str]:
    """Real, small WARC files of several kinds (CC, ClueWeb legacy charsets, wget, WET)."""
    names = ["cc-main-2020-34-excerpt.warc.gz", "clueweb09-ja-excerpt.warc.gz", "wget-en-0000.warc.gz",
             "wget-en-0001.warc.gz", "cc-main-2024-22-whirlwind.warc.wet.gz"]
    return [str(warc_dir / n) for n in names]


@pytest.fixture(autouse=True, scope="module")
def _no_ray_left_behind():
    """An in-process Ray started by one test module (the runner starts an embedded one on
    first use) is shut down after it, so the next module can start its own."""
    yield
    import sys

    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()
