"""Published snapshots: immutable file sets behind one pointer that is swapped by rename.

Layout::

    OUT/snapshots/<n>/manifest.json                       what snapshot n holds
    OUT/snapshots/<n>/data/language=xx/part-<unit>.parquet hard links to the committed files
    OUT/CURRENT                                           {"snapshot": n} -- the published one

Committed files are replaced by rename when a unit is redone, never rewritten in place, so a
hard link keeps snapshot n's bytes unchanged whatever later runs do, at no copy cost.
Publishing stages ``snapshots/.staging-<n>/`` fully, renames it to ``snapshots/<n>``, then
replaces ``CURRENT`` by rename: a reader that resolves ``CURRENT`` sees the old snapshot or
the new one, never a half-written one. Rolling back is the same pointer swap.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.faults import fault_point

SNAPSHOTS = "snapshots"
CURRENT = "CURRENT"


class SnapshotError(RuntimeError):
    pass


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1, sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def snapshot_dir(out: str | Path, n: int) -> Path:
    return Path(out) / SNAPSHOTS / str(n)


def list_snapshots(out: str | Path) -> list[int]:
    root = Path(out) / SNAPSHOTS
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir()
                  if p.name.isdigit() and (p / "manifest.json").is_file())


def current(out: str | Path) -> int | None:
    """The published snapshot number, or None before the first publish."""
    try:
        return int(json.loads((Path(out) / CURRENT).read_text(encoding="utf-8"))["snapshot"])
    except FileNotFoundError:
        return None


def manifest(out: str | Path, n: int) -> dict[str, Any]:
    return json.loads((snapshot_dir(out, n) / "manifest.json").read_text(encoding="utf-8"))


def published_files(out: str | Path, n: int | None = None) -> list[Path]:
    """Absolute paths of the data files of snapshot ``n`` (default: the current one)."""
    n = current(out) if n is None else n
    if n is None:
        return []
    root = snapshot_dir(out, n)
    return [root / f["path"] for f in manifest(out, n)["files"]]


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)  # a filesystem without hard links: copy (still immutable)


def _set_current(out: Path, n: int) -> None:
    _write_json_atomic(out / CURRENT, {"snapshot": n, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def publish(out: str | Path, files: list[str], info: dict[str, Any]) -> int:
    """Publish the committed data files ``files`` (relative to ``out``) as a new snapshot."""
    root = Path(out)
    snaps = root / SNAPSHOTS
    snaps.mkdir(parents=True, exist_ok=True)
    for stale in snaps.glob(".staging-*"):  # left by a publish that crashed
        shutil.rmtree(stale, ignore_errors=True)
    existing = list_snapshots(root)
    n = (existing[-1] + 1) if existing else 1
    staging = snaps / f".staging-{n}-{os.getpid()}"
    staging.mkdir()
    entries = []
    rows = 0
    for rel in sorted(files):
        src = root / rel
        _link(src, staging / rel)
        n_rows = pq.ParquetFile(staging / rel).metadata.num_rows
        rows += n_rows
        entries.append({"path": rel, "rows": n_rows, "bytes": (staging / rel).stat().st_size})
    previous = current(root)
    body = {"snapshot": n, "previous": previous, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rows": rows, "files": entries, **info}
    _write_json_atomic(staging / "manifest.json", body)
    os.rename(staging, snapshot_dir(root, n))
    fault_point("publish_before_pointer")  # test hook: snapshot n exists, CURRENT still names the old one
    _set_current(root, n)
    return n


def rollback(out: str | Path) -> tuple[int, int]:
    """Point CURRENT at the snapshot the current one replaced; return (from, to)."""
    root = Path(out)
    now = current(root)
    if now is None:
        raise SnapshotError(f"nothing published in {root} (no {CURRENT})")
    prev = manifest(root, now).get("previous")
    if prev is None or not (snapshot_dir(root, prev) / "manifest.json").is_file():
        raise SnapshotError(f"snapshot {now} has no earlier snapshot to roll back to")
    _set_current(root, int(prev))
    return now, int(prev)


def prune(out: str | Path, keep: int) -> list[int]:
    """Remove the oldest snapshots beyond ``keep``, never the current one or its predecessor."""
    root = Path(out)
    snaps = list_snapshots(root)
    now = current(root)
    protect = {now}
    if now is not None:
        protect.add(manifest(root, now).get("previous"))
    removed = []
    for n in snaps[:-keep] if keep > 0 else []:
        if n in protect:
            continue
        shutil.rmtree(snapshot_dir(root, n), ignore_errors=True)
        removed.append(n)
    return removed


def read_published(out: str | Path, columns: list[str] | None = None, n: int | None = None) -> pa.Table:
    """The documents of snapshot ``n`` (default: the current one) as one table.

    Resolve ``CURRENT`` once and read only that snapshot's files: this is how a reader gets a
    consistent corpus while a refresh publishes the next one.
    """
    files = published_files(out, n)
    tables = [pq.read_table(f, columns=columns) for f in files]
    if not tables:
        return pa.table({c: pa.array([], pa.string()) for c in (columns or ["id"])})
    return pa.concat_tables(tables, promote_options="permissive")
