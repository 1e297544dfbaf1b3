"""The dedup phase of one language on Ray (dedup/phase.py decides when): every step that
touches documents runs in Ray tasks, so the driver's memory does not grow with the language.

1. *read*: one task per part file reads id, text and ``minhash``; signatures are recomputed
   there where missing or of the wrong size; node keys are computed there too;
2. *clustering*: band rows -> shuffle by key -> candidate edges (dedup/ray_dedup.py); the
   cross-run index (dedup/index.py, files under OUT) is queried per block of documents inside
   tasks, and the published signatures are read by the partition that owns each node; edges
   are verified in two shuffled joins and reduced to star edges (connected components);
3. *clusters*: a shuffle by root gives each member its cluster id, size and keeper id (a
   published keeper's id is read from the index by that task); a shuffle by node joins that
   to the documents (``near_duplicate``, ``duplicate of <id>``);
4. *substrings*: the kept documents go through dedup/ray_substring.py's steps (published
   windows read by the tasks, the kept texts' window hashes staged by them);
5. *finish*: per document partition, cut texts replace old ones (``substring_dedup_short``
   where too little is left) and the kept documents' band keys/signatures are staged for the
   index (one file per partition); then a shuffle by part file writes one plan file per part,
   ``OUT/_dedup/language=xx/plan/<part>``, and returns its counts.

The driver sees part names, row counts from Parquet footers, per-part counts, and one
fingerprint row per block during connected components. ``apply_parts`` runs
dedup/phase.py ``apply_part`` as one task per part.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import ray

from curation.config import DedupConfig
from dedup.index import CrossRunIndex, SubstringIndex
from dedup.lsh import NEW_BIT, band_rows, node_keys
from dedup.minhash import MinHasher, band_keys
from dedup.phase import NEAR_DUPLICATE, PLAN_COLUMNS, SUBSTRING_SHORT, _Same, _Texts, _write_atomic, apply_part
from dedup.ray_dedup import _JOIN, _edges_of_partition, _partitions, star_edges, verified_edges
from dedup.ray_substring import _DOC, IndexSink, _rows_of_kind, substrings_dataset
from dedup.stage import SIGNATURE, signature_array, signature_matrix, stored_or_computed

_U64_LIST = pa.list_(pa.uint64())
# Shuffle partitions: at least 2 per CPU, and enough that one holds about this much of the
# language's (uncompressed) part data, so a partition's rows fit a worker whatever the language.
PARTITION_BYTES = 256 * 1024**2
# One schema for the rows of steps 3-5: documents (kind 0) and what joins them (kind 1:
# star edges, cluster assignments, cut texts); ``part`` is the key of the current shuffle.
_ROW = pa.schema([("part", pa.int64()), ("kind", pa.int8()), ("pord", pa.int64()), ("row", pa.int64()),
                  ("doc", pa.int64()), ("id", pa.string()), ("node", pa.int64()), ("text", pa.string()),
                  ("sig", _U64_LIST), ("cid", pa.int64()), ("size", pa.int64()), ("keeper", pa.string()),
                  ("reason", pa.string()), ("detail", pa.string()), ("removed", pa.int64())])


def _rows(n: int, **cols: object) -> pa.Table:
    """A ``_ROW`` table of n rows from the given columns (the others null)."""
    arrays = []
    for f in _ROW:
        v = cols.get(f.name)
        if v is None:
            arrays.append(pa.nulls(n, f.type))
        elif isinstance(v, pa.ChunkedArray | pa.Array):
            arrays.append(v.cast(f.type))
        else:
            arrays.append(pa.array(v, f.type))
    return pa.Table.from_arrays(arrays, schema=_ROW)


def _valid(batch: pa.Table) -> bool:
    return batch.num_rows > 0 and "kind" in batch.column_names


def _kind(batch: pa.Table, kind: int) -> pa.Table:
    return batch.filter(pc.equal(batch.column("kind"), kind))


@lru_cache(maxsize=4)
def _hasher(num_perm: int, seed: int, scheme: str, ngram: int) -> MinHasher:
    return MinHasher(num_perm, seed, scheme, ngram)  # type: ignore[arg-type]


def _col(batch: pa.Table, name: str) -> np.ndarray:
    return batch.column(name).to_numpy()


def _sig(batch: pa.Table, num_perm: int) -> np.ndarray:
    if not batch.num_rows:
        return np.zeros((0, num_perm), np.uint64)
    return signature_matrix(batch.column("sig"), num_perm).copy()  # writable: rows change in _finish


# -- 1: read --------------------------------------------------------------------------------
def _read_part(batch: pa.Table, cfg: DedupConfig, lang: str, parts: int) -> pa.Table:
    """Documents of the part files in ``batch`` (path, pord), with signature and node key."""
    m = cfg.minhash
    out = []
    for path, pord in zip(batch.column("path").to_pylist(), batch.column("pord").to_pylist()):
        names = pq.ParquetFile(path).schema_arrow.names
        t = pq.read_table(path, columns=[c for c in ("id", "text", SIGNATURE) if c in names])
        n = t.num_rows
        text = t.column("text").cast(pa.string())
        stored = t.column(SIGNATURE) if SIGNATURE in t.column_names else None
        sig = stored_or_computed(stored, _Texts(text.combine_chunks(), np.arange(n)), _Same(lang, n),
                                 _hasher(m.num_perm, m.seed, m.scheme, m.ngram))
        nodes = node_keys(t.column("id").to_pylist(), new=True)
        row = np.arange(n, dtype=np.int64)
        doc = (np.int64(pord) << np.int64(32)) | row  # partition order: part files by name, then rows
        out.append(_rows(n, part=nodes % parts, kind=np.zeros(n, np.int8), pord=np.full(n, pord, np.int64),
                         row=row, doc=doc, id=t.column("id").cast(pa.string()), node=nodes, text=text,
                         sig=signature_array(sig, [True] * n)))
    return pa.concat_tables(out) if out else _ROW.empty_table()


def _tag(batch: pa.Table) -> dict[str, np.ndarray]:
    nodes = _col(batch, "node").astype(np.uint64) if batch.num_rows else np.zeros(0, np.uint64)
    with np.errstate(over="ignore"):
        mixed = (nodes * np.uint64(0x9E3779B97F4A7C15)) ^ (nodes >> np.uint64(29))
        return {"count": np.array([len(nodes)], np.int64), "sum": np.array([mixed.sum(dtype=np.uint64)], np.uint64)}


def document_tag(docs: ray.data.Dataset) -> str:
    """An id for this set of documents (order-free; the same documents give the same tag, so a
    re-committed language overwrites its own index files, as the local path's tag does)."""
    count, total = 0, 0
    for r in docs.map_batches(_tag, batch_format="pyarrow", batch_size=None).take_all():
        count, total = count + int(r["count"]), (total + int(r["sum"])) % (1 << 64)
    return f"r{count:x}-{total:016x}"


# -- 2: clustering --------------------------------------------------------------------------
def _band_rows(batch: pa.Table, bands: int, rows: int, num_perm: int, parts: int) -> dict[str, np.ndarray]:
    keys = band_keys(_sig(batch, num_perm), bands, rows)
    band, key, node = band_rows(_col(batch, "node"), keys)
    return {"band": band, "key": key, "node": node, "part": (key % np.uint64(parts)).astype(np.int64)}


def _query_index(batch: pa.Table, out: str, lang: str, bands: int, rows: int, num_perm: int
                 ) -> pa.Table:
    """Candidate edges (new -> published) of this block's documents, from the index files."""
    nodes = _col(batch, "node")
    src, dst, _ = CrossRunIndex(out).query(lang, nodes, band_keys(_sig(batch, num_perm), bands, rows))
    same_doc = dst == (src & ~NEW_BIT)  # a document re-committed by --force
    return pa.table({"src": src[~same_doc].astype(np.int64), "dst": dst[~same_doc].astype(np.int64)})


def _published_keys(batch: pa.Table, parts: int) -> pa.Table:
    dst = np.unique(_col(batch, "dst")) if "dst" in batch.column_names else np.zeros(0, np.int64)
    return pa.table({"node": pa.array(dst, pa.int64()), "part": pa.array(dst % parts, pa.int64())})


def _published_nodes(batch: pa.Table, out: str, lang: str, parts: int) -> pa.Table:
    """Node rows (signature, no text) of the published documents on candidate edges."""
    if batch.num_rows == 0 or "node" not in batch.column_names:
        return _JOIN.empty_table()
    sigs = CrossRunIndex(out).signatures(lang, np.unique(_col(batch, "node")))
    nodes = np.array(sorted(sigs), dtype=np.int64)
    n = len(nodes)
    sig = np.stack([sigs[int(x)] for x in nodes]).astype(np.uint64) if n else np.zeros((0, 0), np.uint64)
    return pa.table({"part": nodes % parts, "node": nodes, "other": np.full(n, -1, np.int64),
                     "is_node": np.ones(n, dtype=bool), "sig": signature_array(sig, [True] * n),
                     "text": pa.nulls(n, pa.string()), "language": pa.nulls(n, pa.string()),
                     "shingles": pa.nulls(n, _U64_LIST)}, schema=_JOIN)


def _node_rows(batch: pa.Table, lang: str, exact: bool, parts: int) -> pa.Table:
    """Node rows of new documents for verification (text only where verification is exact)."""
    n = batch.num_rows
    nodes = _col(batch, "node")
    text = pc.fill_null(batch.column("text"), "") if exact else pa.nulls(n, pa.string())
    return pa.table({"part": nodes % parts, "node": nodes, "other": np.full(n, -1, np.int64),
                     "is_node": np.ones(n, dtype=bool), "sig": batch.column("sig"), "text": text,
                     "language": pa.array([lang] * n if exact else [None] * n, pa.string()),
                     "shingles": pa.nulls(n, _U64_LIST)}, schema=_JOIN)


# -- 3: clusters ----------------------------------------------------------------------------
def _star_rows(batch: dict[str, np.ndarray], parts: int) -> pa.Table:
    if "src" not in batch:
        return _ROW.empty_table()
    root, member = batch["src"].astype(np.int64), batch["dst"].astype(np.int64)
    n = len(root)
    return _rows(n, part=root % parts, kind=np.ones(n, np.int8), cid=root, node=member)


def _id_rows(batch: pa.Table, parts: int) -> pa.Table:
    nodes = _col(batch, "node")
    return _rows(batch.num_rows, part=nodes % parts, kind=np.zeros(batch.num_rows, np.int8), node=nodes,
                 id=batch.column("id"))


def _clusters(batch: pa.Table, out: str, lang: str, parts: int) -> pa.Table:
    """(grouped by root) each new member's cluster id, size (published members included) and
    the keeper's id (the root's: a new document's, or a published one's from the index)."""
    if not _valid(batch):
        return _ROW.empty_table()
    ids, stars = _kind(batch, 0), _kind(batch, 1)
    if stars.num_rows == 0:
        return _ROW.empty_table()
    pairs = np.unique(np.stack([_col(stars, "cid"), _col(stars, "node")], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    roots, counts = np.unique(pairs[:, 0], return_counts=True)
    size_of = dict(zip(roots.tolist(), (counts + 1).tolist()))
    id_of = dict(zip(_col(ids, "node").tolist(), ids.column("id").to_pylist()))
    unknown = [r for r in roots.tolist() if r not in id_of]
    if unknown:
        id_of.update(CrossRunIndex(out).ids(lang, np.array(unknown, dtype=np.int64)))
    node = np.concatenate([roots, pairs[:, 1]])
    cid = np.concatenate([roots, pairs[:, 0]])
    new = (node & NEW_BIT) != 0
    node, cid = node[new], cid[new]
    n = len(node)
    return _rows(n, part=node % parts, kind=np.ones(n, np.int8), node=node, cid=cid,
                 size=[size_of[c] for c in cid.tolist()], keeper=[str(id_of.get(c, c)) for c in cid.tolist()])


def _decide(batch: pa.Table, parts: int) -> pa.Table:
    """(grouped by node) documents with their cluster; all but the keeper are near duplicates."""
    if not _valid(batch):
        return _ROW.empty_table()
    docs, assigned = _kind(batch, 0), _kind(batch, 1)
    known = {n: (c, s, k) for n, c, s, k in zip(_col(assigned, "node").tolist(), _col(assigned, "cid").tolist(),
                                                  _col(assigned, "size").tolist(),
                                                  assigned.column("keeper").to_pylist())}
    nodes = _col(docs, "node").tolist()
    got = [known.get(n, (n, 1, None)) for n in nodes]
    reason = [None if c == n else NEAR_DUPLICATE for n, (c, _, _) in zip(nodes, got)]
    detail = [None if c == n else f"duplicate of {k}" for n, (c, _, k) in zip(nodes, got)]
    doc = _col(docs, "doc")
    return _rows(docs.num_rows, part=doc % parts, kind=np.zeros(docs.num_rows, np.int8), pord=docs.column("pord"),
                 row=docs.column("row"), doc=doc, id=docs.column("id"), node=docs.column("node"),
                 text=docs.column("text"), sig=docs.column("sig"), cid=[c for c, _, _ in got],
                 size=[s for _, s, _ in got], reason=reason, detail=detail)


def _singletons(batch: pa.Table, parts: int) -> pa.Table:
    doc = _col(batch, "doc")
    return batch.set_column(0, "part", pa.array(doc % parts, pa.int64())).set_column(
        _ROW.get_field_index("cid"), "cid", batch.column("node")).set_column(
        _ROW.get_field_index("size"), "size", pa.array(np.ones(batch.num_rows, np.int64)))


# -- 4: substrings --------------------------------------------------------------------------
def _substring_docs(batch: pa.Table, lang: str, parts: int) -> pa.Table:
    kept = batch.filter(pc.is_null(batch.column("reason")))
    n, doc = kept.num_rows, _col(kept, "doc")
    return pa.table({"dpart": doc % parts, "doc": doc, "start": np.full(n, -1, np.int64),
                     "hash": np.zeros(n, np.uint64), "text": kept.column("text"),
                     "language": pa.array([lang] * n, pa.string()),
                     "owner": _col(kept, "node") & ~NEW_BIT}, schema=_DOC)


class _PublishedWindows:
    """``published(hashes, owners)``: windows an earlier run published in another document,
    read by the task from the ``SubstringIndex`` files."""

    def __init__(self, out: str, lang: str, n: int) -> None:
        self.out, self.lang, self.n = out, lang, n

    def __call__(self, hashes: np.ndarray, owners: np.ndarray) -> np.ndarray:
        return SubstringIndex(self.out).query(self.lang, self.n, hashes, owners)


def _changed_rows(batch: pa.Table, parts: int) -> pa.Table:
    if batch.num_rows == 0 or "doc" not in batch.column_names:
        return _ROW.empty_table()
    doc = _col(batch, "doc")
    return _rows(batch.num_rows, part=doc % parts, kind=np.ones(batch.num_rows, np.int8), doc=doc,
                 text=batch.column("text"), removed=batch.column("removed"))


# -- 5: finish ------------------------------------------------------------------------------
def _finish(batch: pa.Table, cfg: DedupConfig, lang: str, bands: int, rows: int, tag: str, staging: str
            ) -> pa.Table:
    """(grouped by document) cut texts applied, short ones rejected; the kept documents' band
    keys and signatures staged for the index (one file per partition)."""
    if not _valid(batch):
        return _ROW.empty_table()
    docs, cut = _kind(batch, 0), _kind(batch, 1)
    new = dict(zip(_col(cut, "doc").tolist(), zip(cut.column("text").to_pylist(), _col(cut, "removed").tolist())))
    n = docs.num_rows
    reason, detail = docs.column("reason").to_pylist(), docs.column("detail").to_pylist()
    text: list[str | None] = [None] * n
    removed = np.zeros(n, np.int64)
    for k, d in enumerate(_col(docs, "doc").tolist()):
        if d in new:
            text[k], removed[k] = new[d]
            left = len((text[k] or "").strip())
            if left < cfg.substring.min_chars_left:
                reason[k] = SUBSTRING_SHORT
                detail[k] = f"{left} characters left after removing {removed[k]}"
    if cfg.cross_run:
        m = cfg.minhash
        kept = np.array([r is None for r in reason], dtype=bool)
        sig = _sig(docs, m.num_perm)
        changed = np.flatnonzero(kept & (removed > 0))
        if len(changed):
            sig[changed] = _hasher(m.num_perm, m.seed, m.scheme, m.ngram).signatures(
                [text[i] or "" for i in changed], [lang] * len(changed))
        idx = np.flatnonzero(kept)
        ids = docs.column("id").to_pylist()
        CrossRunIndex.add_part([ids[i] for i in idx], band_keys(sig[idx], bands, rows), sig[idx], tag, Path(staging),
                               part=int(_col(docs, "part")[0]))
    pord = docs.column("pord")
    return _rows(n, part=pord, kind=np.zeros(n, np.int8), pord=pord, row=docs.column("row"), id=docs.column("id"),
                 text=text, cid=docs.column("cid"), size=docs.column("size"), reason=reason, detail=detail,
                 removed=removed)


def _write_plan(batch: pa.Table, names: list[str], plan_dir: str) -> dict[str, np.ndarray]:
    """(grouped by part file) that part's plan file; returns its counts."""
    if not _valid(batch):
        return {k: np.zeros(0, np.int64) for k in ("documents", "near_duplicates", "substring_short", "chars_removed")}
    t = batch.sort_by("row")
    removed = _col(t, "removed")
    plan = pa.table({"id": t.column("id"), "text": t.column("text"), "changed": pa.array(removed > 0),
                     "reject_reason": t.column("reason"), "reject_detail": t.column("detail"),
                     "dup_cluster_id": t.column("cid"), "dup_cluster_size": t.column("size")}, schema=PLAN_COLUMNS)
    _write_atomic(plan, Path(plan_dir) / names[int(_col(t, "pord")[0])])
    reasons = t.column("reason").to_pylist()
    return {"documents": np.array([t.num_rows]), "near_duplicates": np.array([reasons.count(NEAR_DUPLICATE)]),
            "substring_short": np.array([reasons.count(SUBSTRING_SHORT)]),
            "chars_removed": np.array([int(removed.sum())])}


def plan_language(out: Path, lang: str, parts: list[Path], cfg: DedupConfig, bands: int, rows: int,
                  plan_dir: Path) -> dict:
    """Steps 1-5 for one language; returns the plan's meta (dedup/phase.py's plan.json)."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    metas = [pq.ParquetFile(p).metadata for p in parts]  # footers only
    size = sum(meta.row_group(g).total_byte_size for meta in metas for g in range(meta.num_row_groups))
    n_part = max(_partitions(), -(-size // PARTITION_BYTES))
    m, sub = cfg.minhash, cfg.substring
    o = str(out)
    names = [p.name for p in parts]
    files = ray.data.from_items([{"path": str(p.resolve()), "pord": k} for k, p in enumerate(parts)],
                                override_num_blocks=len(parts))
    docs = files.map_batches(_read_part, fn_kwargs={"cfg": cfg, "lang": lang, "parts": n_part},
                             batch_size=1, batch_format="pyarrow").materialize()
    tag = document_tag(docs)
    found = docs.map_batches(_band_rows, fn_kwargs={"bands": bands, "rows": rows, "num_perm": m.num_perm,
                                                    "parts": n_part}, batch_format="pyarrow", batch_size=None) \
        .groupby("part", num_partitions=n_part).map_groups(_edges_of_partition, batch_format="numpy")
    published = extra = None
    if cfg.cross_run and list((out / "_index" / "minhash" / f"language={lang}").glob("bands-*.parquet")):
        extra = docs.map_batches(_query_index, fn_kwargs={"out": o, "lang": lang, "bands": bands, "rows": rows,
                                                          "num_perm": m.num_perm},
                                 batch_format="pyarrow", batch_size=None).materialize()
    if extra is not None and extra.count():  # (a shuffle of no rows at all fails in Ray Data)
        found = found.union(extra)
        published = extra.map_batches(_published_keys, fn_kwargs={"parts": n_part}, batch_format="pyarrow") \
            .groupby("part", num_partitions=n_part).map_groups(
                _published_nodes, fn_kwargs={"out": o, "lang": lang, "parts": n_part}, batch_format="pyarrow")
    exact = m.verify == "exact"
    if exact or m.verify_min_jaccard > 0:
        nodes = docs.map_batches(_node_rows, fn_kwargs={"lang": lang, "exact": exact, "parts": n_part},
                                 batch_format="pyarrow", batch_size=None)
        if published is not None:
            nodes = nodes.union(published)
        found = verified_edges(found, nodes, n_part, m.ngram if exact else 5, m.verify_min_jaccard, m.threshold)
    stars = star_edges(found, n_part)
    if stars is None:
        decided = docs.map_batches(_singletons, fn_kwargs={"parts": n_part}, batch_format="pyarrow")
    else:
        star_rows = stars.map_batches(_star_rows, fn_kwargs={"parts": n_part}, batch_format="numpy")
        ids = docs.map_batches(_id_rows, fn_kwargs={"parts": n_part}, batch_format="pyarrow", batch_size=None)
        assigned = star_rows.union(ids).groupby("part", num_partitions=n_part).map_groups(
            _clusters, fn_kwargs={"out": o, "lang": lang, "parts": n_part}, batch_format="pyarrow")
        decided = assigned.union(docs).groupby("part", num_partitions=n_part).map_groups(
            _decide, fn_kwargs={"parts": n_part}, batch_format="pyarrow")
    decided = decided.materialize()
    final = decided
    if sub.enabled:
        sink = IndexSink(sub.min_tokens, tag, plan_dir, None, sub.min_chars_left) if cfg.cross_run else None
        windows = _PublishedWindows(o, lang, sub.min_tokens) if cfg.cross_run else None
        cut = substrings_dataset(decided.map_batches(_substring_docs, fn_kwargs={"lang": lang, "parts": n_part},
                                                     batch_format="pyarrow", batch_size=None),
                                 sub.min_tokens, sub.respect_lines, windows, sink, n_part)
        changed = cut.map_batches(_rows_of_kind, fn_kwargs={"window": False}, batch_format="pyarrow") \
            .map_batches(_changed_rows, fn_kwargs={"parts": n_part}, batch_format="pyarrow")
        final = decided.union(changed)
    finished = final.groupby("part", num_partitions=n_part).map_groups(
        _finish, fn_kwargs={"cfg": cfg, "lang": lang, "bands": bands, "rows": rows, "tag": tag,
                            "staging": str(plan_dir)}, batch_format="pyarrow")
    counts = finished.groupby("part", num_partitions=n_part).map_groups(
        _write_plan, fn_kwargs={"names": names, "plan_dir": str(plan_dir / "plan")}, batch_format="pyarrow")
    totals = {"documents": 0, "near_duplicates": 0, "substring_short": 0, "chars_removed": 0}
    for r in counts.take_all():
        for k in totals:
            totals[k] += int(r[k])
    return {"parts": names, "tag": tag, "layout": "parts", **totals}


def apply_parts(out: Path, lang: str, names: list[str], plan_dir: Path) -> None:
    """dedup/phase.py ``apply_part`` for every part, one Ray task each, in parallel."""
    task = ray.remote(num_cpus=1)(apply_part)
    ray.get([task.remote(out, lang, name, plan_dir / "plan" / name) for name in names])


def main(argv: list[str]) -> int:
    """``python -m dedup.ray_phase OUT [ADDRESS]``: the dedup phase of OUT as a Ray job, every
    language on the Ray path (default config but ``ray_min_docs`` 0)."""
    import logging

    from dedup.phase import DedupPhase

    ray.init(address=argv[1] if len(argv) > 1 else "auto", logging_level=logging.WARNING)
    summary = DedupPhase(argv[0], DedupConfig(ray_min_docs=0), use_ray=True).run()
    alive = len({n["NodeID"] for n in ray.nodes() if n["Alive"]})
    print(f"{summary.line()}\nalive_nodes={alive}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
