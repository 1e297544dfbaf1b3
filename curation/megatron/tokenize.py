"""Parquet shards -> Megatron indexed datasets (``.bin/.idx``), one per category and language.

Work is split one shard per task (``tokenize_shard``): each task writes one small indexed
dataset per language it meets into scratch space. ``merge_parts`` then concatenates the parts of
each (category, language) with ``IndexedDatasetBuilder.add_index``, in shard order, so the result
does not depend on how many workers ran. Nothing here imports Ray; the command fans out.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder, get_bin_path, get_idx_path

from curation.megatron.hf_tokenizer import find_eod, load_tokenizer, token_dtype, vocab_size

COUNTS_FILE = "token_counts.json"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_PARTITION = re.compile(r"^language=([^/]+)$")


class TokenizeInputError(ValueError):
    """An input spec or input path that cannot be used; one line for the user."""


@dataclass(frozen=True)
class ShardTask:
    category: str
    path: str
    index: int  # position of the shard in the whole run; orders the merge
    tokenizer: str
    scratch: str
    append_eod: bool = True
    eod_token: str | None = None
    text_column: str = "text"
    batch_rows: int = 1024


@dataclass
class PartInfo:
    prefix: str
    documents: int = 0
    tokens: int = 0


@dataclass
class ShardResult:
    category: str
    path: str
    index: int
    parts: dict[str, PartInfo] = field(default_factory=dict)  # language -> part
    rejected_rows: int = 0
    empty_rows: int = 0
    error: str | None = None


def parse_inputs(specs: list[str]) -> list[tuple[str, str]]:
    """``CATEGORY=PATH`` specs (PATH: a Parquet file, a directory, or a glob) -> (category, shard path)."""
    shards: list[tuple[str, str]] = []
    for spec in specs:
        category, sep, where = spec.partition("=")
        if not sep or not _NAME.match(category) or not where:
            raise TokenizeInputError(f"input must be CATEGORY=PATH (e.g. web=out/demo/data), got {spec!r}")
        p = Path(where)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.parquet") if not any(s.startswith("_") for s in f.parts))
        elif p.is_file():
            found = [str(p)]
        else:
            found = sorted(f for f in glob.glob(where, recursive=True) if f.endswith(".parquet"))
        if not found:
            raise TokenizeInputError(f"no Parquet shards for {category}: {where}")
        shards.extend((category, f) for f in found)
    return shards


def _partition_language(path: str) -> str | None:
    for part in Path(path).parts:
        m = _PARTITION.match(part)
        if m:
            return m.group(1)
    return None


def _row_languages(batch: dict[str, list], n: int, fallback: str) -> list[str]:
    """Language of each row: ``language`` column, else the bitext pair ``src-tgt``, else the partition."""
    if "language" in batch:
        return [str(v) if v else fallback for v in batch["language"]]
    if "src_lang" in batch and "tgt_lang" in batch:
        return [f"{s}-{t}" for s, t in zip(batch["src_lang"], batch["tgt_lang"])]
    return [fallback] * n


def part_prefix(scratch: str, index: int, category: str, language: str) -> str:
    return os.path.join(scratch, f"{index:06d}", f"{category}__{language}")


def tokenize_shard(task: ShardTask) -> ShardResult:
    """Tokenise one shard into one indexed dataset per language; a bad shard reports, never raises."""
    result = ShardResult(task.category, task.path, task.index)
    try:
        tok = load_tokenizer(task.tokenizer)
        eod = find_eod(tok, task.eod_token)
        dtype = token_dtype(vocab_size(tok))
        pf = pq.ParquetFile(task.path)
        names = set(pf.schema_arrow.names)
        if task.text_column not in names:
            raise TokenizeInputError(f"no {task.text_column!r} column")
        cols = [c for c in (task.text_column, "language", "src_lang", "tgt_lang", "reject_reason") if c in names]
        fallback = _partition_language(task.path) or "all"
        builders: dict[str, IndexedDatasetBuilder] = {}
        for rb in pf.iter_batches(batch_size=task.batch_rows, columns=cols):
            batch = rb.to_pydict()
            texts = batch[task.text_column]
            langs = _row_languages(batch, len(texts), fallback)
            rejects = batch.get("reject_reason", [None] * len(texts))
            keep = []
            for i, (text, reason) in enumerate(zip(texts, rejects)):
                if reason is not None:
                    result.rejected_rows += 1
                elif not text:
                    result.empty_rows += 1
                else:
                    keep.append(i)
            encodings = tok.encode_batch([texts[i] for i in keep], add_special_tokens=False)
            for i, enc in zip(keep, encodings):
                ids = list(enc.ids) + ([eod] if task.append_eod else [])
                if not ids:
                    result.empty_rows += 1
                    continue
                lang = langs[i]
                if not _NAME.match(lang):
                    raise TokenizeInputError(f"language value {lang!r} cannot name a dataset")
                if lang not in builders:
                    prefix = part_prefix(task.scratch, task.index, task.category, lang)
                    os.makedirs(os.path.dirname(prefix), exist_ok=True)
                    builders[lang] = IndexedDatasetBuilder(get_bin_path(prefix), dtype=dtype)
                    result.parts[lang] = PartInfo(prefix)
                builders[lang].add_document(np.asarray(ids, dtype=dtype), [len(ids)])
                result.parts[lang].documents += 1
                result.parts[lang].tokens += len(ids)
        for lang, builder in builders.items():
            builder.finalize(get_idx_path(result.parts[lang].prefix))
    except Exception as err:  # noqa: BLE001 - one bad shard must not stop the run
        result.error = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
        result.parts = {}
    return result


def dataset_prefix(out: str | Path, category: str, language: str) -> Path:
    """Where the merged dataset of a (category, language) lives: ``OUT/<category>/<language>``."""
    return Path(out) / category / language


def merge_parts(parts: list[str], final_prefix: Path, dtype: type[np.number]) -> None:
    """Concatenate part datasets (in the given order) into one; rename into place when complete."""
    final_prefix.parent.mkdir(parents=True, exist_ok=True)
    tmp = str(final_prefix) + ".tmp"
    builder = IndexedDatasetBuilder(get_bin_path(tmp), dtype=dtype)
    for part in parts:
        builder.add_index(part)
    builder.finalize(get_idx_path(tmp))
    os.replace(get_bin_path(tmp), get_bin_path(str(final_prefix)))
    os.replace(get_idx_path(tmp), get_idx_path(str(final_prefix)))


def merge_results(results: list[ShardResult], out: str | Path, tokenizer: str, append_eod: bool,
                  eod_token: str | None = None) -> dict:
    """Merge every shard's parts per (category, language) and write ``token_counts.json``."""
    tok = load_tokenizer(tokenizer)
    n_vocab = vocab_size(tok)
    dtype = token_dtype(n_vocab)
    groups: dict[tuple[str, str], list[tuple[int, PartInfo]]] = {}
    for res in sorted(results, key=lambda r: r.index):
        for lang, info in res.parts.items():
            groups.setdefault((res.category, lang), []).append((res.index, info))
    datasets = []
    for (category, lang), items in sorted(groups.items()):
        final = dataset_prefix(out, category, lang)
        merge_parts([info.prefix for _, info in items], final, dtype)
        datasets.append({
            "category": category, "language": lang, "prefix": f"{category}/{lang}",
            "documents": sum(i.documents for _, i in items), "tokens": sum(i.tokens for _, i in items),
            "shards": len(items),
        })
    counts = {
        "tokenizer": str(Path(tokenizer).resolve()), "vocab_size": n_vocab, "dtype": np.dtype(dtype).name,
        "append_eod": append_eod, "eod_id": find_eod(tok, eod_token),
        "datasets": datasets,
        "shards": len(results),
        "rejected_rows": sum(r.rejected_rows for r in results),
        "empty_rows": sum(r.empty_rows for r in results),
        "errors": [{"path": r.path, "error": r.error} for r in results if r.error],
    }
    tmp = Path(out) / (COUNTS_FILE + ".tmp")
    tmp.write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, Path(out) / COUNTS_FILE)
    return counts


def clear_scratch(scratch: str | Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)


