"""A parallel ``map`` over Ray tasks for the post-commit phases (dedup per language, stats per
file), handed to them by ``curate run`` under the Ray runner.

Why: those phases ran in the driver alone after the actors had finished, so on a node of N
CPUs N-1 idled while they ran, and their cost grows with the corpus (bench/peer_datatrove.py's
steady state). Their items are independent (a language's dedup touches only that language's
files; a file's stats only that file), so a task per item gives the same output in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ray

T = TypeVar("T")
R = TypeVar("R")

# A task that dies with its worker (not a Python exception) is retried this many times.
RETRIES = 3


def ray_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(x) for x in items]``, one Ray task per item (one CPU each), results in order."""
    if len(items) < 2 or not ray.is_initialized() or ray.cluster_resources().get("CPU", 1.0) < 2:
        return [fn(x) for x in items]
    remote: Any = ray.remote(num_cpus=1, max_retries=RETRIES)(fn)
    return list(ray.get([remote.remote(x) for x in items]))
