"""The cross-run index: what earlier runs published, kept with the corpus, so a later run
deduplicates new documents against it without re-reading the old corpus.

Layout (one file per dedup phase that published documents; files are never rewritten)::

    OUT/_index/minhash/language=xx/bands-<tag>.parquet       band:int16, key:uint64, node:int64
    OUT/_index/minhash/language=xx/signatures-<tag>.parquet  node:int64, id:string, minhash:list<uint64>
    OUT/_index/minhash/language=xx/{bands,signatures}-<tag>.p<k>.parquet  (Ray: one per node partition)

Band rows are sorted by (band, key), so a query reads only matching row groups. The signatures
let a candidate pair against a published document be verified exactly like a new pair.

API (used by the post-commit dedup phase and by ``curate refresh``)::

    index = CrossRunIndex(out)
    src, dst, sigs = index.query("de", nodes, band_keys)   # candidate edges new -> published
    index.add("de", ids, band_keys, signatures, tag)       # publish kept documents
    index.add(..., staging=dir); index.publish("de", tag, dir)  # the same in two steps
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dedup.lsh import node_keys
from dedup.stage import signature_array, signature_matrix


class CrossRunIndex:
    def __init__(self, out: str | Path) -> None:
        self.root = Path(out) / "_index" / "minhash"

    def _dir(self, language: str) -> Path:
        return self.root / f"language={language}"

    def _files(self, language: str, kind: str) -> list[str]:
        return sorted(str(p) for p in self._dir(language).glob(f"{kind}-*.parquet"))

    def __len__(self) -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.root.glob("language=*/signatures-*.parquet"))

    def query(self, language: str, nodes: np.ndarray, keys: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
        """Candidate edges (new node, published node) sharing a band key, and the published signatures."""
        files = self._files(language, "bands")
        empty = np.zeros(0, np.int64)
        if not files or len(nodes) == 0:
            return empty, empty, {}
        n_bands = keys.shape[1]
        wanted = pa.array(np.unique(keys.reshape(-1)), type=pa.uint64())
        hits = ds.dataset(files, format="parquet").to_table(filter=pc.field("key").isin(wanted))
        if hits.num_rows == 0:
            return empty, empty, {}
        new_band = np.tile(np.arange(n_bands), len(nodes))
        new = pa.table({"band": pa.array(new_band, pa.int16()), "key": pa.array(keys.reshape(-1), pa.uint64()),
                        "new": pa.array(np.repeat(nodes, n_bands), pa.int64())})
        joined = new.join(hits, keys=["band", "key"], join_type="inner")
        src = joined.column("new").to_numpy()
        dst = joined.column("node").to_numpy()
        return src, dst, self.signatures(language, np.unique(dst))

    def signatures(self, language: str, nodes: np.ndarray) -> dict[int, np.ndarray]:
        files = self._files(language, "signatures")
        if not files or len(nodes) == 0:
            return {}
        t = ds.dataset(files, format="parquet").to_table(filter=pc.field("node").isin(pa.array(nodes, pa.int64())))
        if t.num_rows == 0:
            return {}
        sig = signature_matrix(t.column("minhash"), len(t.column("minhash")[0].as_py()))
        return {int(n): s for n, s in zip(t.column("node").to_numpy(), sig)}

    def ids(self, language: str, nodes: np.ndarray) -> dict[int, str]:
        files = self._files(language, "signatures")
        if not files:
            return {}
        t = ds.dataset(files, format="parquet").to_table(
            columns=["node", "id"], filter=pc.field("node").isin(pa.array(nodes, pa.int64())))
        return dict(zip(t.column("node").to_pylist(), t.column("id").to_pylist()))

    def add(self, language: str, ids: list[str], keys: np.ndarray, sigs: np.ndarray, tag: str,
            staging: Path | None = None) -> None:
        """Publish documents (temp name, then rename; a retry overwrites). With ``staging`` the
        files are written there and become visible only with ``publish``."""
        self.add_part(ids, keys, sigs, tag, staging or self._dir(language))

    @staticmethod
    def add_part(ids: list[str], keys: np.ndarray, sigs: np.ndarray, tag: str, d: Path, part: int | None = None
                 ) -> None:
        """Write one bands + one signatures file of ``tag`` into ``d``; ``part`` names one of
        several files of a tag, each for a disjoint set of documents (the Ray dedup phase)."""
        if not ids:
            return
        nodes = node_keys(ids, new=False)
        n_bands = keys.shape[1]
        bands = pa.table({"band": pa.array(np.tile(np.arange(n_bands), len(ids)), pa.int16()),
                          "key": pa.array(keys.reshape(-1), pa.uint64()),
                          "node": pa.array(np.repeat(nodes, n_bands), pa.int64())}).sort_by([("band", "ascending"),
                                                                                             ("key", "ascending")])
        signatures = pa.table({"node": pa.array(nodes, pa.int64()), "id": pa.array(ids, pa.string()),
                               "minhash": signature_array(sigs, [True] * len(ids))})
        d.mkdir(parents=True, exist_ok=True)
        suffix = "" if part is None else f".p{part:05d}"
        for kind, table in (("signatures", signatures), ("bands", bands)):
            path = d / f"{kind}-{tag}{suffix}.parquet"
            tmp = d / f".{path.name}.tmp-{os.getpid()}"
            pq.write_table(table, tmp, compression="zstd", row_group_size=65536)
            os.replace(tmp, path)

    def publish(self, language: str, tag: str, staging: Path) -> None:
        """Move files staged by ``add(..., staging=)`` into the index (a rename each; idempotent)."""
        d = self._dir(language)
        for kind in ("signatures", "bands"):
            for src in sorted([*staging.glob(f"{kind}-{tag}.parquet"), *staging.glob(f"{kind}-{tag}.p*.parquet")]):
                d.mkdir(parents=True, exist_ok=True)
                os.replace(src, d / src.name)


class SubstringIndex:
    """Window hashes (N-token rolling hashes, dedup/substring.py) of published documents::

        OUT/_index/substring/language=xx/windows-n<N>-<tag>.parquet   hash:uint64, node:int64
        OUT/_index/substring/language=xx/windows-n<N>-<tag>.p<k>.parquet  (Ray: one per hash partition)

    sorted by hash, at most two publishing documents per hash and file (enough to tell "some
    other document" from "this same document re-committed"). ``query`` reads one file at a time
    and matches with binary search, so memory is one file's hashes.
    """

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out) / "_index" / "substring"

    def _dir(self, language: str) -> Path:
        return self.root / f"language={language}"

    def query(self, language: str, n: int, hashes: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Per window: published by a document other than ``nodes`` (its published node key)?"""
        found = np.zeros(len(hashes), dtype=bool)
        for f in sorted(self._dir(language).glob(f"windows-n{n}-*.parquet")):
            t = pq.read_table(f)
            known, owner = t.column("hash").to_numpy(), t.column("node").to_numpy()
            if not len(known):
                continue
            lo = np.searchsorted(known, hashes, "left")
            hi = np.searchsorted(known, hashes, "right")
            single = (hi - lo) == 1
            other = np.zeros(len(hashes), dtype=bool)
            other[single] = owner[lo[single]] != nodes[single]
            found |= ((hi - lo) >= 2) | other
        return found

    def add(self, language: str, n: int, hashes: np.ndarray, nodes: np.ndarray, tag: str, staging: Path) -> None:
        self.add_part(n, hashes, nodes, tag, staging)

    @staticmethod
    def add_part(n: int, hashes: np.ndarray, nodes: np.ndarray, tag: str, staging: Path, part: int | None = None
                 ) -> None:
        """Stage one file of (hash, node) pairs; ``part`` names one of several files of a tag,
        each holding a disjoint set of hashes (the Ray path writes one per hash partition)."""
        pairs = np.unique(np.stack([hashes.view(np.int64), nodes], axis=1), axis=0) if len(hashes) else \
            np.zeros((0, 2), np.int64)
        h = pairs[:, 0].view(np.uint64)
        order = np.argsort(h, kind="stable")
        h, node = h[order], pairs[order, 1]
        first = np.searchsorted(h, h, "left")
        keep = (np.arange(len(h)) - first) < 2
        staging.mkdir(parents=True, exist_ok=True)
        suffix = "" if part is None else f".p{part:05d}"
        path = staging / f"windows-n{n}-{tag}{suffix}.parquet"
        tmp = staging / f".{path.name}.tmp-{os.getpid()}"
        pq.write_table(pa.table({"hash": pa.array(h[keep], pa.uint64()), "node": pa.array(node[keep], pa.int64())}),
                       tmp, compression="zstd")
        os.replace(tmp, path)

    def publish(self, language: str, tag: str, staging: Path) -> None:
        for src in [*staging.glob(f"windows-n*-{tag}.parquet"), *staging.glob(f"windows-n*-{tag}.p*.parquet")]:
            self._dir(language).mkdir(parents=True, exist_ok=True)
            os.replace(src, self._dir(language) / src.name)
