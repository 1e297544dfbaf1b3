"""Test hook: crash the process at a named point, to prove that crashes there lose nothing.

Set ``CURATION_FAULT=<point>`` (optionally ``<point>:<n>`` to crash at the n-th pass, from 1)
and the process SIGKILLs itself when it reaches that point: no ``finally``, no ``atexit``,
exactly like ``kill -9`` or a power cut. Points in use:

- ``after_shard_before_ledger``: a unit's Parquet files are renamed into place, its ledger
  row is not written yet (``curation/io/output.py``);
- ``publish_before_pointer``: a snapshot is staged, ``CURRENT`` still names the old one
  (``curation/refresh/snapshot.py``);
- ``refresh_after_lock``: ``curate refresh`` holds the lock and has done nothing else.

``CURATION_PAUSE=<point>`` with ``CURATION_PAUSE_FILE=<path>`` makes ``pause_point(<point>)``
wait until that file exists (a test holds a process at a known spot, e.g. with the lock held).

Never set in production; unset, each hook is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time

_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get("CURATION_FAULT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def pause_point(name: str) -> None:
    if os.environ.get("CURATION_PAUSE") != name:
        return
    release = os.environ.get("CURATION_PAUSE_FILE", "")
    while release and not os.path.exists(release):
        time.sleep(0.05)
