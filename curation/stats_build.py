"""Build ``OUT/stats/*.parquet`` from the files a run committed.

Stats are derived from the committed files themselves, one cached summary per output file,
keyed by the file's path, size and mtime (rows of one cache table, ``_cache/summaries.parquet``).
So they merge across work units and refresh runs without bookkeeping: a unit redone by a
later run rewrote its files (new fingerprint, new summary, that run's id), a post-commit phase
that moves rows to ``rejected/`` (dedup) changed files that get re-summarised, and deleted
files drop out. Any phase that changes output files
calls :func:`build_stats` afterwards; ``curate run`` and ``curate stats`` do.

Files written (long format, documented in the README):

- ``funnel.parquet``: run_id, unit_id, stage, language, reason, docs, chars, words, tokens
- ``languages.parquet``: per-language totals (all records vs kept) and the Marco group
- ``histograms.parquet``: signal, language, status, bin, bin_lo, bin_hi, count
- ``thresholds.parquet``: signal, language, bound, value, source
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import HIGH_RESOURCE, LOW_RESOURCE, PipelineConfig, StatsConfig
from curation.io.ledger import Ledger
from curation.schema import UNDETERMINED_LANGUAGE
from curation.stats_mix import MIX_COUNTS, mix_counts
from curation.stats_stages import KEPT, stage_of, stage_order
from curation.stats_thresholds import collect_thresholds

STATS = "stats"
CACHE = "_cache"
CACHE_FILE = "summaries.parquet"
FINGERPRINT = ["path", "size", "mtime_ns", "settings"]
SETTINGS = "_settings.json"
REPO = Path(__file__).resolve().parents[1]

FUNNEL_KEYS = ["run_id", "unit_id", "stage", "language", "reason"]
MEASURES = ["docs", "chars", "words", "tokens"]
HIST_KEYS = ["signal", "language", "status", "bin", "bin_lo", "bin_hi"]
# Numeric columns that are not quality signals.
NOT_SIGNALS = {"http_status"}
# Signals whose values live on [0, 1] (ratios, fractions, probabilities): linear bins.
UNIT_WORDS = ("ratio", "frac", "share", "rate", "score", "prob")
_UNIT_RE = re.compile(r"part-([0-9a-f]{20})")


@dataclass(frozen=True)
class StatsSettings:
    """What changes the numbers; part of each cached summary's key."""

    tokenizer: str | None = None
    histogram_bins: int = 20
    log_bins_per_decade: int = 5

    @classmethod
    def from_config(cls, cfg: StatsConfig) -> StatsSettings:
        return cls(cfg.tokenizer, cfg.histogram_bins, cfg.log_bins_per_decade)

    def key(self) -> str:
        body = asdict(self)
        if self.tokenizer:
            st = Path(self.tokenizer).stat()
            body["tokenizer_file"] = [st.st_size, st.st_mtime_ns]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Stats:
    funnel: pd.DataFrame
    languages: pd.DataFrame
    histograms: pd.DataFrame
    thresholds: pd.DataFrame


# --------------------------------------------------------------------------- signals


def signal_columns(schema: pa.Schema) -> list[str]:
    """Numeric columns other stages added (discovered, since filters keep adding them)."""
    out = []
    for f in schema:
        if f.name.startswith("_") or f.name in NOT_SIGNALS or f.name.endswith("_id"):
            continue
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            out.append(f.name)
    return out


def is_unit_signal(signal: str) -> bool:
    return any(w in signal.lower() for w in UNIT_WORDS)


def bin_edges(signal: str, settings: StatsSettings) -> np.ndarray:
    """Fixed edges per signal, so histograms of different files add up bin by bin."""
    if is_unit_signal(signal):
        return np.linspace(0.0, 1.0, settings.histogram_bins + 1)
    return np.logspace(0, 7, 7 * settings.log_bins_per_decade + 1)  # 1 .. 10^7


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value; -1 = below the first edge, len(edges)-1 = above the last."""
    idx = np.searchsorted(edges, values, side="right") - 1
    idx[values == edges[-1]] = len(edges) - 2  # the last bin is closed on the right
    return idx


def histogram(values: np.ndarray, edges: np.ndarray) -> dict[int, int]:
    """Counts per bin index (see :func:`bin_index`)."""
    bins, counts = np.unique(bin_index(values, edges), return_counts=True)
    return {int(b): int(c) for b, c in zip(bins, counts)}


def bin_bounds(b: int, edges: np.ndarray) -> tuple[float, float]:
    if b < 0:
        return -np.inf, float(edges[0])
    if b >= len(edges) - 1:
        return float(edges[-1]), np.inf
    return float(edges[b]), float(edges[b + 1])


# --------------------------------------------------------------------------- one file


def _lengths(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """From the stored ``n_chars``/``n_words`` columns; the text is counted only where one is
    missing (files of older runs)."""
    names = table.column_names
    texts: list | None = None
    if "n_chars" not in names or "n_words" not in names:
        texts = table.column("text").to_pylist() if "text" in names else [None] * table.num_rows
    if "n_chars" in names:
        chars = np.array(table.column("n_chars").fill_null(0).to_pylist(), dtype=np.int64)
    else:
        chars = np.array([len(t) if t else 0 for t in texts or []], dtype=np.int64)
    if "n_words" in names:
        words = np.array(table.column("n_words").fill_null(0).to_pylist(), dtype=np.int64)
    else:
        words = np.array([len(t.split()) if t else 0 for t in texts or []], dtype=np.int64)
    return chars, words


def stats_columns(schema: pa.Schema, tokens: bool) -> list[str]:
    """The columns the stats read from a file: the text (the largest column by far) only when tokens
    are counted or a length column is missing; never the MinHash signatures."""
    names = set(schema.names)
    want = {"language", "reject_reason", "n_chars", "n_words", *signal_columns(schema)}
    if tokens or not {"n_chars", "n_words"} <= names:
        want.add("text")
    return [n for n in schema.names if n in want]


def count_tokens(texts: list[str | None], tokenizer: Any) -> np.ndarray:
    """Model tokens per text (0 where there is no text), without special tokens."""
    out = np.zeros(len(texts), dtype=np.int64)
    present = [i for i, t in enumerate(texts) if t]
    if present:
        enc = tokenizer.encode_batch([texts[i] for i in present], add_special_tokens=False)
        out[present] = [len(e.ids) for e in enc]
    return out


# The columns ``_file_rows`` puts before a file's signal columns.
ROW_COLUMNS = ["_file", "language", "reason", "chars", "words", "tokens"]


def _file_rows(path: Path, index: int, tokenizer: Any) -> pa.Table:
    """One file's rows as stats count them: file index, resolved language, reason, lengths,
    tokens and the signal columns (as float64)."""
    pf = pq.ParquetFile(path)
    table = pf.read(columns=stats_columns(pf.schema_arrow, tokenizer is not None))
    n = table.num_rows
    names = table.column_names
    language = table.column("language") if "language" in names else pa.nulls(n, pa.string())
    if path.parent.name.startswith("language="):  # kept files: the partition names the language
        language = pc.fill_null(language, path.parent.name.split("=", 1)[1])
    language = pc.fill_null(language, UNDETERMINED_LANGUAGE)
    reason = table.column("reject_reason") if "reject_reason" in names else pa.nulls(n, pa.string())
    chars, words = _lengths(table)
    tokens = None
    if tokenizer is not None:
        texts = table.column("text").to_pylist() if "text" in names else [None] * n
        tokens = count_tokens(texts, tokenizer)
    cols: dict[str, Any] = {  # ROW_COLUMNS, then the signals
        "_file": pa.array(np.full(n, index, dtype=np.int32)), "language": language.cast(pa.string()),
        "reason": reason.cast(pa.string()), "chars": chars, "words": words,
        "tokens": tokens if tokens is not None else np.zeros(n, dtype=np.int64)}
    for signal in signal_columns(table.schema):
        cols[signal] = table.column(signal).cast(pa.float64())
    return pa.table(cols)


def summarise(paths: list[Path], settings: StatsSettings, tokenizer: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel rows and histogram rows of many output files, each row tagged with its file's
    position in ``paths`` (``_file``).

    All files are counted in one group-by: a run commits hundreds of small files (one per unit
    and language), and a pandas group-by per file cost more than the counting itself."""
    if not paths:
        return pd.DataFrame(columns=["_file", "language", "reason", "stage", *MEASURES]), \
            pd.DataFrame(columns=["_file", *HIST_KEYS, "count"])
    table = pa.concat_tables([_file_rows(p, i, tokenizer) for i, p in enumerate(paths)],
                             promote_options="permissive")
    files = table.column("_file").to_numpy()
    languages = np.array(table.column("language").to_pylist(), dtype=object)
    rejected = pc.is_valid(table.column("reason")).to_numpy(zero_copy_only=False)
    df = pd.DataFrame({"_file": files, "language": languages,
                       "reason": table.column("reason").fill_null("").to_numpy(zero_copy_only=False),
                       "docs": 1, "chars": table.column("chars").to_numpy(),
                       "words": table.column("words").to_numpy(), "tokens": table.column("tokens").to_numpy()})
    funnel = df.groupby(["_file", "language", "reason"], as_index=False, sort=False)[MEASURES].sum()
    funnel["reason"] = _nulls(funnel["reason"])
    stages = {r: stage_of(r) for r in set(funnel["reason"])}
    funnel["stage"] = [stages[r] for r in funnel["reason"]]
    if tokenizer is None:
        funnel["tokens"] = pd.array([pd.NA] * len(funnel), dtype="Int64")
    # (file, language, status) as one integer code, so each signal is one np.unique.
    lang_names, lang_code = np.unique(languages.astype(str), return_inverse=True)
    group_code = (files.astype(np.int64) * len(lang_names) + lang_code) * 2 + rejected
    cols: dict[str, list] = {k: [] for k in ["_file", *HIST_KEYS, "count"]}
    for signal in table.column_names[len(ROW_COLUMNS):]:
        values = table.column(signal).to_numpy(zero_copy_only=False).astype(np.float64)
        ok = np.isfinite(values)
        if not ok.any():
            continue
        edges = bin_edges(signal, settings)
        width = len(edges) + 1  # bins -1 .. len(edges)-1
        keys, counts = np.unique(group_code[ok] * width + bin_index(values[ok], edges) + 1, return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist()):
            group, b = divmod(key, width)
            fl, st = divmod(group, 2)
            f, lang = divmod(fl, len(lang_names))
            lo, hi = bin_bounds(b - 1, edges)
            row = (f, signal, str(lang_names[lang]), "rejected" if st else "kept", b - 1, lo, hi, count)
            for k, v in zip(cols, row):
                cols[k].append(v)
    return funnel, pd.DataFrame(cols)


def _nulls(col: pd.Series) -> pd.Series:
    """Group keys were filled with "" (pandas drops null keys); give the nulls back."""
    return pd.Series([v if v != "" else None for v in col], index=col.index, dtype=object)


# --------------------------------------------------------------------------- the cache


def output_files(out: Path) -> list[Path]:
    """Every committed file: kept partitions and rejected parts."""
    return sorted(out.glob("data/**/*.parquet")) + sorted(out.glob("rejected/**/*.parquet"))


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, path)


def _fingerprints(files: list[Path], out: Path, settings_key: str) -> pd.DataFrame:
    rows = []
    for p in files:
        st = p.stat()
        rows.append((str(p.relative_to(out)), st.st_size, st.st_mtime_ns, settings_key))
    return pd.DataFrame(rows, columns=FINGERPRINT)


def _load_cache(out: Path) -> pd.DataFrame | None:
    try:
        return pd.read_parquet(out / STATS / CACHE / CACHE_FILE)
    except (OSError, ValueError):
        return None


def cached_summaries(files: list[Path], out: Path, settings: StatsSettings, settings_key: str,
                     tokenizer_loader: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel and histogram rows of ``files`` (tagged with ``path``), summarising only the files
    whose (path, size, mtime, settings) fingerprint is not in ``OUT/stats/_cache``.

    The cache is one table, rewritten whole and atomically when anything changed: a file's
    summary rows plus a ``file`` marker row (an empty file has no other row). Entries of files
    that no longer exist are dropped."""
    fps = _fingerprints(files, out, settings_key)
    cache = _load_cache(out)
    keep = cache.merge(fps, on=FINGERPRINT) if cache is not None and set(FINGERPRINT) <= set(cache.columns) \
        else None
    done = set(keep.loc[keep["kind"] == "file", "path"]) if keep is not None else set()
    todo = [i for i, rel in enumerate(fps["path"]) if rel not in done]
    parts = [keep[keep["path"].isin(done)]] if keep is not None else []
    if todo:
        funnel, hist = summarise([files[i] for i in todo], settings, tokenizer_loader())
        new_fps = fps.iloc[todo].reset_index(drop=True)
        marker = new_fps.assign(kind="file")
        parts += [marker,
                  new_fps.iloc[funnel.pop("_file").to_numpy()].reset_index(drop=True).join(funnel).assign(kind="funnel"),
                  new_fps.iloc[hist.pop("_file").to_numpy(dtype=np.int64)].reset_index(drop=True).join(hist)
                  .assign(kind="hist")]
    rows = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) \
        else pd.DataFrame(columns=[*FINGERPRINT, "kind"])
    if todo or cache is None or len(rows) != len(cache):
        _write_cache(out, rows)
    funnel_rows = rows[rows["kind"] == "funnel"]
    hist_rows = rows[rows["kind"] == "hist"]
    funnel = pd.DataFrame({c: funnel_rows[c] if c in funnel_rows else pd.Series(dtype=object)
                           for c in ["path", "language", "reason", "stage", *MEASURES]}).reset_index(drop=True)
    hist = pd.DataFrame({c: hist_rows[c] if c in hist_rows else pd.Series(dtype=object)
                         for c in ["path", *HIST_KEYS, "count"]}).reset_index(drop=True)
    return funnel, hist


def _write_cache(out: Path, rows: pd.DataFrame) -> None:
    cache = out / STATS / CACHE
    rows = rows.copy()
    for c in ("language", "reason", "stage", "signal", "status"):
        if c in rows:
            rows[c] = rows[c].astype(object)
    if "tokens" in rows:
        rows["tokens"] = rows["tokens"].astype("Int64")
    _write_atomic(rows, cache / CACHE_FILE)
    for p in cache.glob("[!.]*"):  # summaries of an older layout (one set of files per output file)
        if p.name != CACHE_FILE:
            p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- merge


def language_group(language: str) -> str:
    if language in HIGH_RESOURCE:
        return "high"
    if language in LOW_RESOURCE:
        return "low"
    return "other"


def language_totals(funnel: pd.DataFrame) -> pd.DataFrame:
    """Per language: every record vs the kept ones (docs, chars, words, tokens)."""
    cols = ["language", "group"] + [f"{m}_{k}" for m in MEASURES for k in ("total", "kept")] + ["kept_rate"]
    if funnel.empty:
        return pd.DataFrame(columns=cols)
    total = funnel.groupby("language")[MEASURES].sum(min_count=1)
    kept = funnel[funnel["stage"] == KEPT].groupby("language")[MEASURES].sum(min_count=1)
    kept = kept.reindex(total.index)
    df = pd.DataFrame(index=total.index)
    for m in MEASURES:
        df[f"{m}_total"] = total[m]
        df[f"{m}_kept"] = kept[m].fillna(0) if m != "tokens" or total[m].notna().all() else kept[m]
    df = df.reset_index()
    df.insert(1, "group", [language_group(lang) for lang in df["language"]])
    df["kept_rate"] = df["docs_kept"] / df["docs_total"]
    for c in cols[2:-1]:
        df[c] = df[c].astype("Int64")
    return df[cols].sort_values(["group", "docs_total"], ascending=[True, False]).reset_index(drop=True)


def _tokenizer_loader(settings: StatsSettings) -> Any:
    state: dict[str, Any] = {}

    def load() -> Any:
        if not settings.tokenizer:
            return None
        if "tok" not in state:
            from tokenizers import Tokenizer

            state["tok"] = Tokenizer.from_file(settings.tokenizer)
        return state["tok"]

    return load


def load_settings(out: str | Path) -> tuple[StatsSettings, dict[str, Any] | None]:
    """The settings and config the last build used (defaults when there was none)."""
    try:
        data = json.loads((Path(out) / STATS / SETTINGS).read_text())
    except (OSError, ValueError):
        return StatsSettings(), None
    s = data.get("settings", {})
    return StatsSettings(**{k: s[k] for k in ("tokenizer", "histogram_bins", "log_bins_per_decade") if k in s}), \
        data.get("config")


def build_stats(out: str | Path, settings: StatsSettings | None = None,
                config: Mapping[str, Any] | None = None) -> Stats:
    """(Re)build ``OUT/stats/*.parquet`` from the files now under ``OUT/data`` and ``OUT/rejected``.

    ``settings``/``config`` default to what the previous build of this directory used, so a
    phase that only moved rows (dedup) calls ``build_stats(out)``.
    """
    root = Path(out)
    prev_settings, prev_config = load_settings(root)
    settings = settings or prev_settings
    config = config if config is not None else prev_config
    if settings.tokenizer and not Path(settings.tokenizer).is_file():
        raise FileNotFoundError(f"stats.tokenizer not found: {settings.tokenizer}")
    key = settings.key()
    loader = _tokenizer_loader(settings)
    runs = {e.unit_id: e.run_id for e in Ledger(root).entries().values()}
    funnel, hist = cached_summaries(output_files(root), root, settings, key, loader)
    units = {p: (m.group(1) if (m := _UNIT_RE.search(p)) else None) for p in set(funnel["path"])}
    unit_ids = [units[p] for p in funnel.pop("path")]
    funnel = funnel.assign(unit_id=unit_ids, run_id=[runs.get(u) if u else None for u in unit_ids])
    hist = hist.drop(columns="path")
    funnel_cols = [*FUNNEL_KEYS, *MEASURES]
    if not funnel.empty:
        key_cols = [c for c in FUNNEL_KEYS]
        funnel = (funnel.assign(**{c: funnel[c].fillna("") for c in key_cols})
                  .groupby(key_cols, as_index=False)[MEASURES].sum(min_count=1))
        for c in key_cols:
            funnel[c] = _nulls(funnel[c])
        funnel["_o"] = [stage_order(s) for s in funnel["stage"]]
        funnel = funnel.sort_values(["unit_id", "_o", "language", "reason"], na_position="first").drop(columns="_o")
    funnel = funnel[funnel_cols].reset_index(drop=True)
    funnel["tokens"] = funnel["tokens"].astype("Int64")
    for c in ("docs", "chars", "words"):
        funnel[c] = funnel[c].astype("int64")
    if not hist.empty:
        hist = hist.groupby(HIST_KEYS, as_index=False)["count"].sum().sort_values(
            ["signal", "language", "status", "bin"]).reset_index(drop=True)
    hist = hist.astype({"bin": "int64", "bin_lo": "float64", "bin_hi": "float64", "count": "int64"})
    sig_names = sorted(set(hist["signal"])) if not hist.empty else []
    # Without the run's config (an output older than its stats), the shipped thresholds files still apply.
    thresholds = collect_thresholds(config or {}, sig_names, REPO)
    thresholds = thresholds.astype({"value": "float64"})
    stats = Stats(funnel=funnel, languages=language_totals(funnel), histograms=hist, thresholds=thresholds)
    write_stats(root, stats, settings, config)
    return stats


def write_stats(root: Path, stats: Stats, settings: StatsSettings, config: Mapping[str, Any] | None) -> None:
    d = root / STATS
    _write_atomic(stats.funnel, d / "funnel.parquet")
    _write_atomic(stats.languages, d / "languages.parquet")
    _write_atomic(stats.histograms, d / "histograms.parquet")
    _write_atomic(stats.thresholds, d / "thresholds.parquet")
    counts = mix_counts(stats.languages)
    if counts.empty:
        (d / MIX_COUNTS).unlink(missing_ok=True)
    else:  # input for `curate mix --counts OUT/stats/mix_counts.parquet`
        _write_atomic(counts, d / MIX_COUNTS)
    tmp = d / f".{SETTINGS}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({"settings": asdict(settings), "config": config}, indent=1, default=str))
    os.replace(tmp, d / SETTINGS)


def read_stats(out: str | Path) -> Stats:
    """Load the four stats tables of a run (build them first with :func:`build_stats`)."""
    d = Path(out) / STATS
    return Stats(*(pd.read_parquet(d / f"{name}.parquet")
                   for name in ("funnel", "languages", "histograms", "thresholds")))


def build_after_run(cfg: PipelineConfig, out: str | Path) -> Stats | None:
    """``curate run``'s last step: stats with the run's settings and thresholds.

    The data is already committed, so a stats failure is a warning, not a failed run
    (``curate stats OUT`` rebuilds them).
    """
    if not cfg.stats.enabled:
        return None
    try:
        stats = build_stats(out, StatsSettings.from_config(cfg.stats), cfg.model_dump(mode="json"))
    except Exception as err:  # noqa: BLE001 - the run's data is committed; stats are rebuildable
        print(f"curate: warning: stats not built ({type(err).__name__}: {err}); "
              f"`curate stats {out}` retries", file=sys.stderr)
        return None
    print(f"stats: {Path(out) / STATS}/*.parquet (curate stats {out} prints them and writes report.html)",
          file=sys.stderr)
    return stats
