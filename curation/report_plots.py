"""The report's figures (matplotlib), shared by ``curate stats`` and the notebook.

Each function takes the stats tables and returns a matplotlib Figure; nothing here writes
files, so the notebook shows the same views inline.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from curation.config import HIGH_RESOURCE, LOW_RESOURCE
from curation.stats import funnel_by_stage, reasons_by_language
from curation.stats_build import Stats, is_unit_signal
from curation.stats_stages import stage_of

GROUP_COLORS = {"high": "#1f77b4", "low": "#ff7f0e", "other": "#9a9a9a"}
STATUS_COLORS = {"kept": "#2ca02c", "rejected": "#d62728"}
# Bucket edges (CCNet head/middle/tail) are not filter thresholds: tables only, no lines.
BUCKET_EDGES = {"head", "tail"}


def human(v: float) -> str:
    """1234 -> 1.2k, 7697965 -> 7.7M: bar labels that fit."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.0f}"


def _measure(stats: Stats) -> str:
    return "tokens" if stats.funnel["tokens"].notna().any() else "words"


def funnel_figure(stats: Stats) -> Figure:
    """Documents (and tokens or words) remaining after each stage, as bars."""
    fb = funnel_by_stage(stats.funnel)
    unit = _measure(stats)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, m in zip(axes, ["docs", unit]):
        values = fb[f"{m}_remaining"].fillna(0).astype(float).to_numpy()
        bars = ax.bar(fb["stage"], values, color="#4c72b0")
        ax.bar_label(bars, labels=[human(v) for v in values], fontsize=7)
        ax.set_title(f"{m} remaining after each stage")
        ax.tick_params(axis="x", rotation=40, labelsize=8)
    return fig


def tokens_per_language_figure(stats: Stats) -> Figure:
    """Kept tokens (or words) per language, high-resource then low-resource (Marco §3.1.5)."""
    unit = _measure(stats)
    lang = stats.languages.set_index("language")
    order = [x for x in HIGH_RESOURCE if x in lang.index] + [x for x in LOW_RESOURCE if x in lang.index]
    others = lang[lang["group"] == "other"].sort_values(f"{unit}_kept", ascending=False)
    others = others[others[f"{unit}_kept"].fillna(0) > 0].head(10)
    order += list(others.index)
    fig = Figure(figsize=(max(6, 0.32 * len(order) + 2), 3.8), layout="constrained")
    ax = fig.subplots()
    if order:
        values = lang.loc[order, f"{unit}_kept"].fillna(0).astype(float).to_numpy()
        colors = [GROUP_COLORS[lang.loc[x, "group"]] for x in order]
        ax.bar(order, values, color=colors)
        ax.set_yscale("symlog")
    names = {"high": "high-resource", "low": "low-resource", "other": "other"}
    ax.legend(handles=[Patch(color=c, label=names[g]) for g, c in GROUP_COLORS.items()], fontsize=8)
    ax.set_title(f"kept {unit} per language (Marco high- vs low-resource)")
    ax.tick_params(axis="x", rotation=90, labelsize=8)
    return fig


def signal_figures(stats: Stats, language: str | None = None) -> list[tuple[str, Figure]]:
    """One histogram per signal (kept vs rejected stacked) with threshold lines; all languages, or
    one ``language`` with its own thresholds and the all-language ones."""
    hist = stats.histograms
    out: list[tuple[str, Figure]] = []
    thresholds = stats.thresholds
    if language is not None:
        hist = hist[hist["language"] == language]
        thresholds = thresholds[thresholds["language"].isin([language, "*"])]
    if hist.empty:
        return out
    for signal, h in hist.groupby("signal"):
        agg = h.groupby(["status", "bin", "bin_lo", "bin_hi"], as_index=False)["count"].sum()
        bins = sorted(agg["bin"].unique())
        lo = agg.groupby("bin")["bin_lo"].first()
        hi = agg.groupby("bin")["bin_hi"].first()
        log = not is_unit_signal(str(signal))
        # Open-ended under/overflow bins are drawn one bin wide beside the range.
        left = np.array([lo[b] if np.isfinite(lo[b]) else (hi[b] / 10 ** 0.2 if log else hi[b] - 0.05) for b in bins])
        right = np.array([hi[b] if np.isfinite(hi[b]) else (lo[b] * 10 ** 0.2 if log else lo[b] + 0.05) for b in bins])
        if log:
            left = np.maximum(left, 0.5)
        fig = Figure(figsize=(4.6, 3.0), layout="constrained")
        ax = fig.subplots()
        bottom = np.zeros(len(bins))
        for status in ("kept", "rejected"):
            counts = agg[agg["status"] == status].set_index("bin")["count"].reindex(bins, fill_value=0).to_numpy()
            ax.bar(left, counts, width=right - left, bottom=bottom, align="edge", color=STATUS_COLORS[status],
                   label=status, alpha=0.85)
            bottom = bottom + counts
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        th = thresholds[(thresholds["signal"] == signal) & ~thresholds["bound"].isin(BUCKET_EDGES)]
        for _, row in th.iterrows():
            style = "-" if row["language"] == "*" else ":"
            ax.axvline(row["value"], color="black", linestyle=style, linewidth=1.2 if style == "-" else 0.6)
        if (th["language"] == "*").any():
            ax.plot([], [], color="black", label="threshold (all languages)")
        if (th["language"] != "*").any():
            ax.plot([], [], color="black", linestyle=":", label="per-language thresholds")
        ax.set_title(f"{signal} ({language})" if language else str(signal), fontsize=10)
        ax.legend(fontsize=7)
        out.append((str(signal), fig))
    return out


def reasons_figure(stats: Stats, top_languages: int = 25, top_reasons: int = 10) -> Figure:
    """Rejected documents per language, stacked by reason (the rest grouped as 'other reasons')."""
    table = reasons_by_language(stats.funnel)
    fig = Figure(figsize=(9, max(3.0, 0.28 * min(len(table), top_languages) + 1.5)), layout="constrained")
    ax = fig.subplots()
    if table.empty:
        ax.set_title("no rejected documents")
        return fig
    table = table.head(top_languages)
    if table.shape[1] > top_reasons:
        rest = table.iloc[:, top_reasons:].sum(axis=1)
        table = table.iloc[:, :top_reasons].assign(**{"other reasons": rest})
    left = np.zeros(len(table))
    cmap = __import__("matplotlib").colormaps["tab20"]
    for i, reason in enumerate(table.columns):
        vals = table[reason].to_numpy(dtype=float)
        label = f"{reason} ({stage_of(reason) if reason != 'other reasons' else '…'})"
        ax.barh(table.index, vals, left=left, color=cmap(i % 20), label=label)
        left += vals
    ax.invert_yaxis()
    ax.set_xlabel("rejected documents")
    ax.set_title("reject reasons per language (stage in brackets)")
    ax.legend(fontsize=7, loc="lower right")
    return fig
