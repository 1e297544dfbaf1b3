"""Build ``OUT/stats/*.parquet`` from the files a run committed.

Stats are derived from the committed files themselves, one cached summary per output file,
keyed by the file's path, size and mtime. So they merge across work units and refresh runs
without bookkeeping: a unit redone by a later run rewrote its files (new fingerprint, new
summary, that run's id), a post-commit phase that moves rows to ``rejected/`` (dedup) changed
files that get re-summarised, and deleted files drop out. Any phase that changes output files
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
import pyarrow.parquet as pq

from curation.config import HIGH_RESOURCE, LOW_RESOURCE, PipelineConfig, StatsConfig
from curation.io.ledger import Ledger
from curation.schema import UNDETERMINED_LANGUAGE
from curation.stats_mix import MIX_COUNTS, mix_counts
from curation.stats_stages import KEPT, stage_of, stage_order
from curation.stats_thresholds import collect_thresholds

STATS = "stats"
CACHE = "_cache"
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
    """The columns ``file_stats`` reads: the text (the largest column by far) only when tokens
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


def file_stats(path: Path, settings: StatsSettings, tokenizer: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel rows and histogram rows of one output file."""
    table = pq.read_table(path, columns=stats_columns(pq.read_schema(path), tokenizer is not None))
    n = table.num_rows
    if "language" in table.column_names:
        languages = table.column("language").to_pylist()
    else:
        languages = [None] * n
    if path.parent.name.startswith("language="):  # kept files: the partition names the language
        part = path.parent.name.split("=", 1)[1]
        languages = [lang or part for lang in languages]
    languages = [lang or UNDETERMINED_LANGUAGE for lang in languages]
    reasons = table.column("reject_reason").to_pylist() if "reject_reason" in table.column_names else [None] * n
    chars, words = _lengths(table)
    tokens = None
    if tokenizer is not None:
        texts = table.column("text").to_pylist() if "text" in table.column_names else [None] * n
        tokens = count_tokens(texts, tokenizer)
    df = pd.DataFrame({"language": languages, "reason": reasons, "docs": 1, "chars": chars, "words": words,
                       "tokens": tokens if tokens is not None else np.zeros(n, dtype=np.int64)})
    funnel = (df.assign(reason=df["reason"].fillna(""))
              .groupby(["language", "reason"], as_index=False)[MEASURES].sum())
    funnel["reason"] = _nulls(funnel["reason"])
    funnel["stage"] = [stage_of(r) for r in funnel["reason"]]
    if tokens is None:
        funnel["tokens"] = pd.array([pd.NA] * len(funnel), dtype="Int64")
    status = np.where(pd.isna(np.array(reasons, dtype=object)), "kept", "rejected")
    # (language, status) as one integer code, so each signal is one np.unique (pandas per signal is slow).
    groups, group_code = np.unique(np.char.add(np.array(languages, dtype=str), "\x1f" + status), return_inverse=True)
    cols: dict[str, list] = {k: [] for k in [*HIST_KEYS, "count"]}
    for signal in signal_columns(table.schema):
        values = table.column(signal).to_numpy(zero_copy_only=False).astype(np.float64)
        ok = np.isfinite(values)
        if not ok.any():
            continue
        edges = bin_edges(signal, settings)
        width = len(edges) + 1  # bins -1 .. len(edges)-1
        keys, counts = np.unique(group_code[ok] * width + bin_index(values[ok], edges) + 1, return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist()):
            lang, st = str(groups[key // width]).split("\x1f")
            b = key % width - 1
            lo, hi = bin_bounds(b, edges)
            for k, v in zip(cols, (signal, lang, st, b, lo, hi, count)):
                cols[k].append(v)
    hist_rows = pd.DataFrame(cols)
    hist = pd.DataFrame(hist_rows, columns=[*HIST_KEYS, "count"])
    return funnel, hist


def _nulls(col: pd.Series) -> pd.Series:
    """Group keys were filled with "" (pandas drops null keys); give the nulls back."""
    return pd.Series([v if v != "" else None for v in col], index=col.index, dtype=object)


# --------------------------------------------------------------------------- the cache


def output_files(out: Path) -> list[Path]:
    """Every committed file: kept partitions and rejected parts."""
    return sorted(out.glob("data/**/*.parquet")) + sorted(out.glob("rejected/**/*.parquet"))


def _fingerprint(path: Path, out: Path, settings_key: str) -> dict[str, Any]:
    st = path.stat()
    return {"path": str(path.relative_to(out)), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "settings": settings_key}


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, path)


def cached_file_stats(path: Path, out: Path, settings: StatsSettings, settings_key: str,
                      tokenizer_loader: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``file_stats`` through a cache entry under ``OUT/stats/_cache`` keyed by the fingerprint."""
    rel = str(path.relative_to(out))
    stem = hashlib.blake2b(rel.encode(), digest_size=10).hexdigest()
    cache = out / STATS / CACHE
    meta_path = cache / f"{stem}.json"
    fp = _fingerprint(path, out, settings_key)
    try:
        if json.loads(meta_path.read_text()) == fp:
            return pd.read_parquet(cache / f"{stem}.funnel.parquet"), pd.read_parquet(cache / f"{stem}.hist.parquet")
    except (OSError, ValueError):
        pass
    funnel, hist = file_stats(path, settings, tokenizer_loader())
    _write_atomic(funnel, cache / f"{stem}.funnel.parquet")
    _write_atomic(hist, cache / f"{stem}.hist.parquet")
    tmp = meta_path.with_name(f".{meta_path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(fp))
    os.replace(tmp, meta_path)  # written last: a half-written entry is never trusted
    return funnel, hist


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
    funnels, hists = [], []
    files = output_files(root)
    for path in files:
        funnel, hist = cached_file_stats(path, root, settings, key, loader)
        m = _UNIT_RE.search(path.name)
        unit_id = m.group(1) if m else None
        funnel = funnel.assign(unit_id=unit_id, run_id=runs.get(unit_id) if unit_id else None)
        funnels.append(funnel)
        hists.append(hist)
    _prune_cache(root, files)
    funnel_cols = [*FUNNEL_KEYS, *MEASURES]
    funnel = pd.concat(funnels, ignore_index=True) if funnels else pd.DataFrame(columns=funnel_cols)
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
    hist = pd.concat([h for h in hists if not h.empty], ignore_index=True) if any(not h.empty for h in hists) \
        else pd.DataFrame(columns=[*HIST_KEYS, "count"])
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


def _prune_cache(root: Path, files: list[Path]) -> None:
    live = {hashlib.blake2b(str(p.relative_to(root)).encode(), digest_size=10).hexdigest() for p in files}
    for p in (root / STATS / CACHE).glob("*"):
        if p.name.split(".", 1)[0].lstrip(".") not in live:
            p.unlink(missing_ok=True)


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
