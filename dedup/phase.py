"""The post-commit dedup phase of ``curate run``: per language, over OUT/data/language=xx/.

1. *Plan.* Parts not yet deduplicated (the dedup ledger ``OUT/_ledger/dedup/<lang>.json`` holds
   the parts already done, by size and mtime) are read; signatures come from the ``minhash``
   column (recomputed where missing); band keys go through clustering (in-process or on Ray,
   same result) together with candidate edges to the cross-run index; each cluster keeps its
   smallest node (dedup/cluster.py), the others get ``near_duplicate``. Then exact-substring
   removal runs over the kept new documents in partition order (published documents are not
   re-read; they came first). The plan is written to ``OUT/_dedup/<lang>/plan.parquet`` (temp
   name, then rename) before any output file changes.
2. *Apply.* Part by part, first the part's rejected rows go to
   ``rejected/part-<unit>.dedup-<lang>.parquet`` (one file per unit *and language*: a unit holds
   many languages), then the part is rewritten (temp + rename) with the kept rows, their new
   text and the columns ``dup_cluster_id``/``dup_cluster_size``. Both steps are idempotent given
   the plan, so a killed phase resumes from the plan and produces the same files.
3. *Publish.* Kept documents' band keys/signatures and their N-token window hashes (staged
   with the plan) move into the cross-run index, the ledger records the parts, the plan is
   removed. A later run's substring step treats a published window as an earlier occurrence.

Where: under the Ray runner a language of at least ``ray_min_docs`` new documents (counted
from the parts' Parquet footers) is planned by dedup/ray_phase.py entirely in Ray tasks (read,
signatures, index queries and staging, clustering, substrings) into one plan file per part,
``plan/<part>``, and applied by one Ray task per part (``apply_part``: rejected rows, then the
rewrite; idempotent given the plan). Smaller languages, and every language of the local
runner, are planned here in the driver; both give the same files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import DedupConfig
from curation.schema import stable_id
from curation.stage import set_column
from dedup.cluster import Clusters, cluster_local
from dedup.index import CrossRunIndex, SubstringIndex
from dedup.lsh import NEW_BIT, node_keys
from dedup.minhash import MinHasher, band_keys, lsh_params
from dedup.stage import SIGNATURE, stored_or_computed
from dedup.substring import dedup_substrings
from dedup.verify import ShingleJaccard

NEAR_DUPLICATE = "near_duplicate"
SUBSTRING_SHORT = "substring_dedup_short"
ClusterFn = Callable[..., Clusters]


@dataclass
class LanguageSummary:
    language: str
    parts: int = 0
    documents: int = 0
    near_duplicates: int = 0
    substring_short: int = 0
    chars_removed: int = 0
    skipped: bool = False


@dataclass
class DedupSummary:
    languages: list[LanguageSummary] = field(default_factory=list)

    def line(self) -> str:
        done = [s for s in self.languages if not s.skipped]
        return (f"dedup: {len(done)} languages, {sum(s.documents for s in done)} new documents, "
                f"{sum(s.near_duplicates for s in done)} near duplicates, {sum(s.substring_short for s in done)} "
                f"too short after substring removal, {sum(s.chars_removed for s in done)} characters removed")


def _fingerprint(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd", compression_level=3)
    os.replace(tmp, path)


def _write_json(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


class DedupPhase:
    def __init__(self, out: str | Path, cfg: DedupConfig, cluster_fn: ClusterFn | None = None,
                 use_ray: bool = False) -> None:
        """``use_ray``: languages of at least ``cfg.ray_min_docs`` new documents are planned and
        applied on Ray (dedup/ray_phase.py), smaller ones here; both give the same output, and
        this is the one place that chooses. ``cluster_fn`` overrides clustering (in the driver)."""
        self.out = Path(out)
        self.cfg = cfg
        self.use_ray = use_ray and cluster_fn is None
        self.cluster_fn = cluster_fn or cluster_local
        m = cfg.minhash
        self.bands, self.rows = (m.bands, m.rows) if m.bands and m.rows else lsh_params(m.threshold, m.num_perm)
        self.hasher = MinHasher(m.num_perm, m.seed, m.scheme, m.ngram)
        self.index = CrossRunIndex(self.out)
        self.substring_index = SubstringIndex(self.out)

    # -- bookkeeping -------------------------------------------------------------------------
    def ledger_path(self, lang: str) -> Path:
        return self.out / "_ledger" / "dedup" / f"{lang}.json"

    def plan_dir(self, lang: str) -> Path:
        return self.out / "_dedup" / f"language={lang}"

    def done_parts(self, lang: str) -> dict[str, list[int]]:
        p = self.ledger_path(lang)
        return json.loads(p.read_text())["parts"] if p.exists() else {}

    def languages(self) -> list[str]:
        return sorted(p.name.split("=", 1)[1] for p in (self.out / "data").glob("language=*") if p.is_dir())

    def run(self) -> DedupSummary:
        """Every language. Languages planned here run ``dedup.threads`` at a time, largest first
        (each touches only its own files: partition, plan, ledger and index directories);
        languages that start a plan on Ray (``ray_min_docs``) run after them, one by one, since
        that plan is itself spread over the cluster."""
        langs = self.languages()
        threads = self.cfg.threads or min(4, os.cpu_count() or 1)
        if threads < 2 or len(langs) < 2 or self.cluster_fn is not cluster_local:
            return DedupSummary([self.run_language(lang) for lang in langs])
        new = {lang: self._new_parts(lang) for lang in langs}
        sizes = {lang: self._new_docs(lang, new[lang]) for lang in langs}
        on_ray = [lang for lang in langs if self.use_ray and sizes[lang] >= self.cfg.ray_min_docs]
        here = sorted((lang for lang in langs if lang not in on_ray), key=lambda lang: -sizes[lang])
        with ThreadPoolExecutor(threads) as pool:
            done = dict(zip(here, pool.map(lambda lang: self.run_language(lang, new[lang]), here)))
        done.update((lang, self.run_language(lang, new[lang])) for lang in on_ray)
        return DedupSummary([done[lang] for lang in langs])

    def _new_docs(self, lang: str, parts: list[Path]) -> int:
        """New documents (Parquet footers); 0 when a killed phase left a plan to resume."""
        if (self.plan_dir(lang) / "plan.json").exists():
            return 0
        return sum(pq.ParquetFile(p).metadata.num_rows for p in parts)

    def _new_parts(self, lang: str) -> list[Path]:
        done = self.done_parts(lang)
        parts = sorted(p for p in (self.out / "data" / f"language={lang}").glob("part-*.parquet"))
        return [p for p in parts if done.get(p.name) != _fingerprint(p)]

    # -- one language ------------------------------------------------------------------------
    def run_language(self, lang: str, new_parts: list[Path] | None = None) -> LanguageSummary:
        """``new_parts``: the language's parts not yet deduplicated, when the caller listed them."""
        summary = LanguageSummary(lang)
        plan_json = self.plan_dir(lang) / "plan.json"
        if plan_json.exists():  # a killed phase: resume from its plan
            meta = json.loads(plan_json.read_text())
        else:
            new = self._new_parts(lang) if new_parts is None else new_parts
            if not new:
                summary.skipped = True
                return summary
            meta = self.plan_on_ray(lang, new) if self.on_ray(new) else self.plan(lang, new)
        self.apply(lang, meta)
        summary.parts = len(meta["parts"])
        summary.documents = meta["documents"]
        summary.near_duplicates = meta["near_duplicates"]
        summary.substring_short = meta["substring_short"]
        summary.chars_removed = meta["chars_removed"]
        return summary

    def on_ray(self, parts: list[Path]) -> bool:
        """The Ray path, for a language of at least ``ray_min_docs`` new documents (from footers)."""
        return self.use_ray and sum(pq.ParquetFile(p).metadata.num_rows for p in parts) >= self.cfg.ray_min_docs

    def plan_on_ray(self, lang: str, parts: list[Path]) -> dict:
        """``plan`` in Ray tasks (dedup/ray_phase.py): one plan file per part, written by Ray."""
        from dedup.ray_phase import plan_language

        d = self.plan_dir(lang)
        shutil.rmtree(d, ignore_errors=True)
        meta = plan_language(self.out, lang, parts, self.cfg, self.bands, self.rows, d)
        _write_json(meta, d / "plan.json")
        return meta

    def plan(self, lang: str, parts: list[Path]) -> dict:
        tables = []
        for p in parts:
            names = pq.read_schema(p).names
            t = pq.read_table(p, columns=[c for c in ("id", "text", SIGNATURE) if c in names])
            tables.append(t.append_column("_part", pa.array([p.name] * t.num_rows, pa.string())))
        table = pa.concat_tables(tables, promote_options="permissive")
        ids = table.column("id").to_pylist()
        texts = table.column("text").combine_chunks()
        col = table.column(SIGNATURE) if SIGNATURE in table.column_names else None
        sig = stored_or_computed(col, _Texts(texts, np.arange(len(ids))), _Same(lang, len(ids)), self.hasher)
        nodes = node_keys(ids, new=True)
        keys = band_keys(sig, self.bands, self.rows)
        extra_src = extra_dst = None
        extra_sigs: dict[int, np.ndarray] = {}
        if self.cfg.cross_run:
            extra_src, extra_dst, extra_sigs = self.index.query(lang, nodes, keys)
            same_doc = extra_dst == (extra_src & ~NEW_BIT)  # a document re-committed by --force
            extra_src, extra_dst = extra_src[~same_doc], extra_dst[~same_doc]
        m = self.cfg.minhash
        all_rows = _Texts(texts, np.arange(len(ids)))
        exact = ShingleJaccard(nodes, all_rows, _Same(lang, len(ids)), m.ngram) if m.verify == "exact" else None
        clusters = self.cluster_fn(nodes, keys, sig, m.verify_min_jaccard, extra_src, extra_dst, extra_sigs,
                                   exact=exact, exact_min=m.threshold)
        reasons: list[str | None] = [None if k else NEAR_DUPLICATE for k in clusters.keep]
        keeper_id = {int(n): i for n, i in zip(nodes, ids)}
        old = [int(c) for c, k in zip(clusters.cluster_id, clusters.keep) if not k and int(c) not in keeper_id]
        keeper_id.update(self.index.ids(lang, np.unique(np.array(old, dtype=np.int64))) if old else {})
        details = [None if r is None else f"duplicate of {keeper_id.get(int(c), c)}"
                   for r, c in zip(reasons, clusters.cluster_id)]
        new_texts: list[str | None] = [None] * len(ids)  # only texts that changed
        removed = np.zeros(len(ids), dtype=np.int64)
        sub = self.cfg.substring
        d = self.plan_dir(lang)
        shutil.rmtree(d, ignore_errors=True)
        tag = stable_id(*sorted(ids))[:16]
        if sub.enabled:
            kept_idx = [i for i, r in enumerate(reasons) if r is None]
            kept_pub = nodes[kept_idx] & ~NEW_BIT  # the key each would have if already published
            published = _PublishedWindows(self.substring_index, lang, sub.min_tokens, kept_pub)
            res = dedup_substrings(_Texts(texts, np.array(kept_idx, dtype=np.int64)), _Same(lang, len(kept_idx)),
                                   n=sub.min_tokens, respect_lines=sub.respect_lines,
                                   published=published if self.cfg.cross_run else None,
                                   final_windows=self.cfg.cross_run)
            windows_of = dict(zip(kept_idx, res.windows or []))
            for j, i in enumerate(kept_idx):
                removed[i] = res.removed_chars[j]
                if removed[i]:
                    new_texts[i] = res.texts[j]
                    left = len((res.texts[j] or "").strip())
                    if left < sub.min_chars_left:
                        reasons[i] = SUBSTRING_SHORT
                        details[i] = f"{left} characters left after removing {removed[i]}"
        plan = pa.table({
            "id": pa.array(ids, pa.string()), "_part": table.column("_part"),
            "text": pa.array(new_texts, pa.string()), "changed": pa.array(removed > 0),
            "reject_reason": pa.array(reasons, pa.string()), "reject_detail": pa.array(details, pa.string()),
            "dup_cluster_id": pa.array(clusters.cluster_id, pa.int64()),
            "dup_cluster_size": pa.array(clusters.cluster_size, pa.int64()),
        })
        _write_atomic(plan, d / "plan.parquet")
        if self.cfg.cross_run:  # staged with the plan, published by apply()
            kept = np.array([r is None for r in reasons], dtype=bool)
            changed = np.flatnonzero(kept & (removed > 0))
            if len(changed):
                sig[changed] = self.hasher.signatures([new_texts[i] or "" for i in changed], [lang] * len(changed))
                keys[changed] = band_keys(sig[changed], self.bands, self.rows)
            self.index.add(lang, [ids[i] for i in np.flatnonzero(kept)], keys[kept], sig[kept], tag, staging=d)
            if sub.enabled:
                kept_rows = np.flatnonzero(kept)
                per_doc = [windows_of[int(i)] for i in kept_rows]  # text_windows of the final texts
                windows = np.concatenate(per_doc) if per_doc else np.zeros(0, np.uint64)
                doc = np.repeat(np.arange(len(per_doc)), [len(w) for w in per_doc])
                owners = nodes[kept_rows][doc] & ~NEW_BIT
                self.substring_index.add(lang, sub.min_tokens, windows, owners, tag, staging=d)
        meta = {"parts": [p.name for p in parts], "tag": tag,
                "documents": len(ids), "near_duplicates": reasons.count(NEAR_DUPLICATE),
                "substring_short": reasons.count(SUBSTRING_SHORT), "chars_removed": int(removed.sum())}
        _write_json(meta, d / "plan.json")
        return meta

    def apply(self, lang: str, meta: dict) -> None:
        d = self.plan_dir(lang)
        data_dir = self.out / "data" / f"language={lang}"
        if meta.get("layout") == "parts":  # a plan written by dedup/ray_phase.py: one file per part
            if self.use_ray:
                from dedup.ray_phase import apply_parts

                apply_parts(self.out, lang, meta["parts"], d)
            else:  # resumed without Ray: the same per-part steps, here
                for name in meta["parts"]:
                    apply_part(self.out, lang, name, d / "plan" / name)
        else:
            self._apply_plan(lang, meta)
        self.index.publish(lang, meta["tag"], staging=d)
        self.substring_index.publish(lang, meta["tag"], staging=d)
        done = self.done_parts(lang)
        for name in meta["parts"]:
            if (data_dir / name).exists():
                done[name] = _fingerprint(data_dir / name)
        _write_json({"parts": done}, self.ledger_path(lang))
        shutil.rmtree(d, ignore_errors=True)

    def _apply_plan(self, lang: str, meta: dict) -> None:
        """Apply a driver-written plan, part by part (the steps of ``apply_part``)."""
        plan = pq.read_table(self.plan_dir(lang) / "plan.parquet")
        for name in meta["parts"]:
            _apply_rows(self.out, lang, name, plan.filter(pc.equal(plan.column("_part"), name)))

    @staticmethod
    def _merge(part: pa.Table, plan_rows: pa.Table, rejected: bool) -> pa.Table:
        """The part's rows that the plan keeps (or rejects), with the plan's columns applied."""
        want = pc.is_valid(plan_rows.column("reject_reason")) if rejected else pc.is_null(
            plan_rows.column("reject_reason"))
        chosen = plan_rows.filter(want)
        position = {i: k for k, i in enumerate(chosen.column("id").to_pylist())}
        part_ids = part.column("id").to_pylist()
        take = [k for k, i in enumerate(part_ids) if i in position]
        rows = part.take(pa.array(take, pa.int64()))
        if "text" in rows.column_names:
            rows = set_column(rows, "text", rows.column("text").cast(pa.string()))
        src = chosen.take(pa.array([position[part_ids[k]] for k in take], pa.int64()))
        changed = src.column("changed")
        if pc.any(changed).as_py():
            text = pc.if_else(changed, src.column("text"), rows.column("text"))
            rows = set_column(rows, "text", text)
            if "n_chars" in rows.column_names:
                rows = set_column(rows, "n_chars", pc.utf8_length(text).cast(pa.int64()))
            if "n_words" in rows.column_names:
                words = [len(t.split()) if t is not None else None for t in text.to_pylist()]
                rows = set_column(rows, "n_words", pa.array(words, pa.int64()))
        for col in ("reject_reason", "reject_detail", "dup_cluster_id", "dup_cluster_size"):
            rows = set_column(rows, col, src.column(col))
        return rows


def apply_part(out: Path, lang: str, name: str, plan_file: Path) -> None:
    """Apply one part's plan file (written by dedup/ray_phase.py; none: no rows of the part)."""
    rows = pq.read_table(plan_file) if plan_file.exists() else PLAN_COLUMNS.empty_table()
    _apply_rows(out, lang, name, rows)


def _apply_rows(out: Path, lang: str, name: str, rows: pa.Table) -> None:
    """One part's plan rows applied: its rejected rows to ``rejected/`` (skipped once written),
    then the part rewritten with the kept rows (or removed when none is left). Idempotent: a
    rewritten part still holds every kept row, and its rejected rows were written first."""
    path = Path(out) / "data" / f"language={lang}" / name
    if not path.exists():
        return
    part = pq.read_table(path)
    rej_path = Path(out) / "rejected" / name.replace(".parquet", f".dedup-{lang}.parquet")
    if not rej_path.exists():
        rejected = DedupPhase._merge(part, rows, rejected=True)
        if rejected.num_rows:
            _write_atomic(rejected, rej_path)
    kept = DedupPhase._merge(part, rows, rejected=False)
    if kept.num_rows:
        _write_atomic(kept, path)
    else:
        path.unlink()


PLAN_COLUMNS = pa.schema([("id", pa.string()), ("text", pa.string()), ("changed", pa.bool_()),
                           ("reject_reason", pa.string()), ("reject_detail", pa.string()),
                           ("dup_cluster_id", pa.int64()), ("dup_cluster_size", pa.int64())])


@dataclass
class _PublishedWindows:
    """``published(hashes, docs)`` of dedup/substring.py: windows an earlier run published in
    another document. A plain object (not a closure over the phase) so Ray tasks can take it."""

    index: SubstringIndex
    language: str
    n: int
    owners: np.ndarray  # per kept document: the node key it would have if already published

    def __call__(self, hashes: np.ndarray, docs: np.ndarray) -> np.ndarray:
        return self.index.query(self.language, self.n, hashes, self.owners[docs])


class _Texts(Sequence[str]):
    """Lazy ``texts[i]`` over chosen rows of an Arrow string array (no list of all texts)."""

    def __init__(self, texts: pa.Array, rows: np.ndarray) -> None:
        self.texts, self.rows = texts, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        return self.texts[int(self.rows[i])].as_py() or ""

    def arrow_rows(self) -> pa.Array:
        """The chosen rows as one Arrow array (no Python strings; dedup/verify.py ``table``)."""
        return self.texts.take(pa.array(self.rows, pa.int64()))


class _Same(Sequence[str]):
    """``[value] * n`` without the list."""

    def __init__(self, value: str, n: int) -> None:
        self.value, self.n = value, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if not -self.n <= i < self.n:
            raise IndexError(i)  # what ends iteration over a Sequence
        return self.value
