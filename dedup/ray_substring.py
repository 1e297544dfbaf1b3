"""Exact-substring removal on Ray (the Ray twin of dedup/substring.py ``dedup_substrings``:
same definition, same output, tests/test_dedup_ray*.py compare them).

Every step is a Ray Data operator over partitions. ``dedup_substrings_ray`` ships the
documents in once (blocks of doc rows) and receives the texts that changed;
``substrings_dataset`` takes doc rows already in Ray (the dedup phase's Ray path,
dedup/ray_phase.py) and leaves its result there:

1. *windows*: per block of documents, the 64-bit rolling hash of every N-token window;
2. *repeats*: a shuffle by hash; a partition keeps the windows whose hash occurs 2+ times;
3. *window text*: a shuffle of those candidates together with the doc rows by document, so
   each candidate picks up its actual tokens from its own document;
4. *first occurrence*: a shuffle by hash; within a hash, windows are taken in (doc, start)
   order and every window whose tokens equal an earlier one's is a duplicate (a hash
   collision between different token strings removes nothing);
5. *cut*: a shuffle of the duplicates with the doc rows by document; each document loses
   the tokens its duplicate windows (and windows already published, ``SubstringIndex``) cover,
   with the same character-offset rule as the local path. With an ``IndexSink`` (the dedup
   phase, cross-run on) the same tasks emit the window hashes of every text that stays, and a
   last shuffle by hash stages one ``SubstringIndex`` file per partition.

``python -m dedup.ray_substring IN.parquet OUT.parquet N [ADDRESS]`` runs it as a Ray job
(IN: text, language columns; OUT: text, removed_chars).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from dedup.index import SubstringIndex
from dedup.substring import (
    SubstringResult,
    later_copies,
    remove_windows,
    repeated_hashes,
    tokenize,
    window_hashes,
    window_string,
    windows_after,
)

Published = Callable[[np.ndarray, np.ndarray], np.ndarray]
# Rows keyed by document: doc rows (start = -1, with text) and window rows (start >= 0).
_DOC = pa.schema([("dpart", pa.int64()), ("doc", pa.int64()), ("start", pa.int64()), ("hash", pa.uint64()),
                  ("text", pa.string()), ("language", pa.string()), ("owner", pa.int64())])
# Window rows keyed by hash.
_WIN = pa.schema([("part", pa.int64()), ("hash", pa.uint64()), ("doc", pa.int64()), ("start", pa.int64()),
                  ("window", pa.string())])
# Step 5's rows: changed texts (window = false) and, with an index sink, the window hashes of
# every published text, keyed by hash (window = true).
_OUT = pa.schema([("doc", pa.int64()), ("text", pa.string()), ("removed", pa.int64()), ("window", pa.bool_()),
                  ("part", pa.int64()), ("hash", pa.uint64()), ("node", pa.int64())])


@dataclass
class IndexSink:
    """Where the Ray path stages the window hashes of the texts it leaves for the cross-run
    ``SubstringIndex`` (one file per hash partition, written by the tasks), so that pass does
    not run over every document in the driver."""

    n: int
    tag: str
    staging: Path
    owners: np.ndarray | None  # per document: the node key it is published under (None: the doc rows' owner)
    min_chars_left: int  # a document cut below this is rejected by the phase: not published


def _out_rows(doc: list[int], text: list[str | None], removed: list[int], h: np.ndarray, node: np.ndarray,
              parts: int) -> pa.Table:
    k, m = len(doc), len(h)
    return pa.table({"doc": np.concatenate([np.array(doc, np.int64), np.full(m, -1, np.int64)]),
                     "text": pa.concat_arrays([pa.array(text, pa.string()), pa.nulls(m, pa.string())]),
                     "removed": np.concatenate([np.array(removed, np.int64), np.zeros(m, np.int64)]),
                     "window": np.concatenate([np.zeros(k, bool), np.ones(m, bool)]),
                     "part": np.concatenate([np.zeros(k, np.int64), (h % np.uint64(parts)).astype(np.int64)]),
                     "hash": np.concatenate([np.zeros(k, np.uint64), h]),
                     "node": np.concatenate([np.zeros(k, np.int64), node])}, schema=_OUT)


def _partitions() -> int:
    return max(2, int(ray.cluster_resources().get("CPU", 1)) * 2)


def _window_rows(dpart: np.ndarray, doc: np.ndarray, start: np.ndarray, h: np.ndarray) -> pa.Table:
    n = len(doc)
    return pa.table({"dpart": dpart, "doc": doc, "start": start, "hash": h, "text": pa.nulls(n, pa.string()),
                     "language": pa.nulls(n, pa.string()), "owner": np.zeros(n, np.int64)}, schema=_DOC)


def _docs_and_windows(batch: pa.Table) -> tuple[pa.Table, pa.Table]:
    is_doc = batch.column("start").to_numpy() < 0
    return batch.filter(pa.array(is_doc)), batch.filter(pa.array(~is_doc))


def _windows(batch: pa.Table, n: int, respect_lines: bool, parts: int) -> pa.Table:
    """Step 1: (hash, doc, start) of every window of every document in the block."""
    hs, docs, starts = [], [], []
    for d, text, lang in zip(batch.column("doc").to_pylist(), batch.column("text").to_pylist(),
                             batch.column("language").to_pylist()):
        h, s = window_hashes(tokenize(text or "", lang), n, respect_lines)
        hs.append(h)
        starts.append(s)
        docs.append(np.full(len(h), d, dtype=np.int64))
    h = np.concatenate(hs) if hs else np.zeros(0, np.uint64)
    return pa.table({"part": (h % np.uint64(parts)).astype(np.int64), "hash": h,
                     "doc": np.concatenate(docs) if docs else np.zeros(0, np.int64),
                     "start": np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64),
                     "window": pa.nulls(len(h), pa.string())}, schema=_WIN)


def _repeats(batch: pa.Table, parts: int) -> pa.Table:
    """Step 2 (grouped by hash): windows whose hash occurs at least twice, keyed by document."""
    if batch.num_rows == 0 or "hash" not in batch.column_names:
        return _DOC.empty_table()
    h = batch.column("hash").to_numpy()
    keep = repeated_hashes(h)
    doc = batch.column("doc").to_numpy()[keep]
    return _window_rows(doc % parts, doc, batch.column("start").to_numpy()[keep], h[keep])


def _window_texts(batch: pa.Table, n: int, parts: int) -> pa.Table:
    """Step 3 (grouped by document): each candidate window gets its tokens from its document."""
    if batch.num_rows == 0 or "start" not in batch.column_names:
        return _WIN.empty_table()
    docs_t, wins = _docs_and_windows(batch)
    if wins.num_rows == 0:
        return _WIN.empty_table()
    wanted = set(wins.column("doc").to_pylist())
    toks = {d: tokenize(t or "", lang) for d, t, lang in zip(docs_t.column("doc").to_pylist(),
                                                               docs_t.column("text").to_pylist(),
                                                               docs_t.column("language").to_pylist()) if d in wanted}
    doc, start = wins.column("doc").to_pylist(), wins.column("start").to_pylist()
    h = wins.column("hash").to_numpy()
    words = [window_string(toks[d], s, n) for d, s in zip(doc, start)]
    return pa.table({"part": (h % np.uint64(parts)).astype(np.int64), "hash": h, "doc": doc, "start": start,
                     "window": words}, schema=_WIN)


def _first_occurrences(batch: pa.Table, parts: int) -> pa.Table:
    """Step 4 (grouped by hash): the windows that repeat an earlier identical window."""
    if batch.num_rows == 0 or "window" not in batch.column_names:
        return _DOC.empty_table()
    h, doc, start = (batch.column(c).to_numpy() for c in ("hash", "doc", "start"))
    dup = later_copies(h, doc, start, batch.column("window").to_pylist())
    return _window_rows(doc[dup] % parts, doc[dup], start[dup], h[dup])


def _cut(batch: pa.Table, n: int, respect_lines: bool, published: Published | None, sink: IndexSink | None,
         parts: int) -> pa.Table:
    """Step 5 (grouped by document): documents without their duplicate windows (changed ones
    only), and with a sink the unique window hashes of each text that stays published."""
    if batch.num_rows == 0 or "start" not in batch.column_names:
        return _OUT.empty_table()
    docs_t, wins = _docs_and_windows(batch)
    dup_starts: dict[int, list[int]] = {}
    for d, s in zip(wins.column("doc").to_pylist(), wins.column("start").to_pylist()):
        dup_starts.setdefault(d, []).append(s)
    rows = [(d, t, lang, o) for d, t, lang, o in zip(*(docs_t.column(c).to_pylist()
                                                        for c in ("doc", "text", "language", "owner")))
            if published is not None or sink is not None or d in dup_starts]
    toks = [tokenize(t or "", lang) for _, t, lang, _ in rows]
    if published is not None and rows:  # one index query per partition, as the local path does per run
        per_doc = [window_hashes(tk, n, respect_lines) for tk in toks]
        hs = np.concatenate([h for h, _ in per_doc])
        counts = [len(h) for h, _ in per_doc]
        doc_of = np.repeat(np.array([d for d, _, _, _ in rows], dtype=np.int64), counts)
        owner = np.repeat(np.array([o for _, _, _, o in rows], dtype=np.int64), counts)
        known = published(hs, owner) if len(hs) else np.zeros(0, dtype=bool)
        starts = np.concatenate([s for _, s in per_doc]) if per_doc else np.zeros(0, np.int64)
        for d, s in zip(doc_of[known].tolist(), starts[known].tolist()):
            dup_starts.setdefault(d, []).append(s)
    out_doc, out_text, out_removed = [], [], []
    win_h, win_node = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for (d, text, lang, o), tk in zip(rows, toks):
        new, removed = remove_windows(text, tk, np.array(dup_starts.get(d, []), dtype=np.int64), n)
        if removed:
            out_doc.append(d)
            out_text.append(new)
            out_removed.append(removed)
        if sink is not None and not (removed and len((new or "").strip()) < sink.min_chars_left):
            h = windows_after(new, removed, tk, lang, n, respect_lines)
            win_h.append(h)
            win_node.append(np.full(len(h), o if sink.owners is None else sink.owners[o], dtype=np.int64))
    return _out_rows(out_doc, out_text, out_removed, np.concatenate(win_h), np.concatenate(win_node), parts)


def _rows_of_kind(batch: pa.Table, window: bool) -> pa.Table:
    if batch.num_rows == 0 or "window" not in batch.column_names:
        return _OUT.empty_table()
    mask = batch.column("window").to_numpy(zero_copy_only=False)
    return batch.filter(pa.array(mask if window else ~mask))


def _stage_windows(batch: pa.Table, sink: IndexSink) -> dict[str, np.ndarray]:
    """(grouped by hash) one staged index file per partition; returns how many pairs it got."""
    if batch.num_rows == 0 or "hash" not in batch.column_names:
        return {"pairs": np.zeros(0, np.int64)}
    part = int(batch.column("part")[0].as_py())
    SubstringIndex.add_part(sink.n, batch.column("hash").to_numpy(), batch.column("node").to_numpy(), sink.tag,
                            sink.staging, part=part)
    return {"pairs": np.array([batch.num_rows], np.int64)}


def _blocks(table: pa.Table, parts: int) -> list[pa.Table]:
    step = max(1, -(-table.num_rows // parts))
    return [table.slice(i, step) for i in range(0, table.num_rows, step)] or [table]


def dedup_substrings_ray(texts: Sequence[str | None] | pa.Array, languages: Sequence[str | None], n: int = 50,
                         respect_lines: bool = False, published: Published | None = None,
                         sink: IndexSink | None = None) -> SubstringResult:
    """``dedup.substring.dedup_substrings`` (same arguments but ``hash_partitions``, same
    result), with every step in Ray tasks. ``published`` is shipped to the tasks, so it must
    read what it needs itself (``SubstringIndex`` files on storage every node sees); ``sink``
    stages the kept texts' window hashes for the index there too."""
    parts = _partitions()
    ray.data.DataContext.get_current().enable_progress_bars = False
    arrow = getattr(texts, "arrow_rows", None)  # dedup/phase.py's lazy texts: no Python strings
    text = arrow() if arrow is not None else texts if isinstance(texts, pa.Array) else pa.array(list(texts))
    text = text.cast(pa.string())
    count = len(text)
    doc = np.arange(count, dtype=np.int64)
    doc_rows = pa.table({"dpart": doc % parts, "doc": doc, "start": np.full(count, -1, np.int64),
                         "hash": np.zeros(count, np.uint64), "text": text,
                         "language": pa.array(list(languages), pa.string()), "owner": doc}, schema=_DOC)
    cut = substrings_dataset(ray.data.from_arrow(_blocks(doc_rows, parts)), n, respect_lines, published, sink, parts)
    changed = cut.map_batches(_rows_of_kind, fn_kwargs={"window": False}, batch_format="pyarrow")
    out: list[str | None] = text.to_pylist()
    removed = np.zeros(count, dtype=np.int64)
    for batch in changed.iter_batches(batch_format="pyarrow", batch_size=10_000):
        if "doc" not in batch.column_names:
            continue
        for d, t, r in zip(batch.column("doc").to_pylist(), batch.column("text").to_pylist(),
                           batch.column("removed").to_pylist()):
            out[d], removed[d] = t, r
    return SubstringResult(out, removed)


def substrings_dataset(docs: ray.data.Dataset, n: int, respect_lines: bool, published: Published | None,
                       sink: IndexSink | None, parts: int) -> ray.data.Dataset:
    """Steps 1-5 over doc rows (``_DOC``: ``doc`` orders them, ``owner`` is what ``published``
    and ``sink`` are told); returns step 5's rows (``_OUT``; changed texts: ``window`` false),
    materialized, after the sink's files are staged."""
    docs = docs.materialize()
    windows = docs.map_batches(_windows, fn_kwargs={"n": n, "respect_lines": respect_lines, "parts": parts},
                               batch_format="pyarrow", batch_size=None)
    repeats = windows.groupby("part", num_partitions=parts).map_groups(
        _repeats, fn_kwargs={"parts": parts}, batch_format="pyarrow")
    spelled = repeats.union(docs).groupby("dpart", num_partitions=parts).map_groups(
        _window_texts, fn_kwargs={"n": n, "parts": parts}, batch_format="pyarrow")
    dups = spelled.groupby("part", num_partitions=parts).map_groups(
        _first_occurrences, fn_kwargs={"parts": parts}, batch_format="pyarrow")
    cut = dups.union(docs).groupby("dpart", num_partitions=parts).map_groups(
        _cut, fn_kwargs={"n": n, "respect_lines": respect_lines, "published": published, "sink": sink,
                         "parts": parts}, batch_format="pyarrow").materialize()
    if sink is not None:
        windows_out = cut.map_batches(_rows_of_kind, fn_kwargs={"window": True}, batch_format="pyarrow")
        staged = windows_out.groupby("part", num_partitions=parts).map_groups(
            _stage_windows, fn_kwargs={"sink": sink}, batch_format="pyarrow")
        staged.materialize()
    return cut


def main(argv: list[str]) -> int:
    """``python -m dedup.ray_substring IN.parquet OUT.parquet N [ADDRESS]``."""
    ray.init(address=argv[3] if len(argv) > 3 else "auto", logging_level=logging.WARNING)
    t = pq.read_table(argv[0])
    res = dedup_substrings_ray(t.column("text").combine_chunks(), t.column("language").to_pylist(), n=int(argv[2]))
    alive = len({node["NodeID"] for node in ray.nodes() if node["Alive"]})
    pq.write_table(pa.table({"text": pa.array(res.texts, pa.string()), "removed_chars": res.removed_chars,
                             "alive_nodes": np.full(len(res.texts), alive, np.int64)}), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
