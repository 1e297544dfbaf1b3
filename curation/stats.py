"""Read a run's stats tables and summarise them for a terminal.

The tables themselves are built by :mod:`curation.stats_build`; the HTML report by
:mod:`curation.report`. This module turns them into the views both share: the filter funnel
(documents remaining after each stage) and the reject reasons per language.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from curation.io.ledger import Ledger
from curation.stats_build import MEASURES, Stats, build_stats
from curation.stats_stages import KEPT, STAGES


def funnel_by_stage(funnel: pd.DataFrame) -> pd.DataFrame:
    """One row per stage in pipeline order: what it removed and what remains after it."""
    total = funnel[MEASURES].sum(min_count=1)
    removed = funnel[funnel["stage"] != KEPT].groupby("stage")[MEASURES].sum(min_count=1)
    stages = [s for s in STAGES if s in removed.index or s != "other"]
    rows = []
    remaining = {m: total[m] for m in MEASURES}
    rows.append({"stage": "input", **{f"{m}_removed": 0 for m in MEASURES},
                 **{f"{m}_remaining": remaining[m] for m in MEASURES}})
    for stage in stages:
        rem = removed.loc[stage] if stage in removed.index else pd.Series(0, index=MEASURES)
        for m in MEASURES:
            remaining[m] = remaining[m] - (rem[m] if pd.notna(rem[m]) else 0)
        rows.append({"stage": stage, **{f"{m}_removed": rem[m] for m in MEASURES},
                     **{f"{m}_remaining": remaining[m] for m in MEASURES}})
    df = pd.DataFrame(rows)
    for c in df.columns[1:]:
        df[c] = pd.array(df[c], dtype="Int64")
    return df


def reasons_by_language(funnel: pd.DataFrame) -> pd.DataFrame:
    """Rejected documents: language x reason (columns ordered by total, largest first)."""
    rej = funnel[funnel["stage"] != KEPT]
    if rej.empty:
        return pd.DataFrame()
    table = rej.pivot_table(index="language", columns="reason", values="docs", aggfunc="sum", fill_value=0)
    table = table[table.sum().sort_values(ascending=False).index]
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def ledger_mismatches(out: str | Path, funnel: pd.DataFrame) -> list[str]:
    """Units whose files hold a different number of records than their ledger row says.

    Every phase moves rows between files but never drops one, so a mismatch means records were
    lost (or duplicated) after the commit: worth a loud line, not a silent total.
    """
    per_unit = funnel.groupby("unit_id")["docs"].sum() if not funnel.empty else pd.Series(dtype="int64")
    lines = []
    for unit_id, entry in sorted(Ledger(out).entries().items()):
        held = int(per_unit.get(unit_id, 0))
        if held != entry.n_rows:
            lines.append(f"unit {unit_id} ({entry.uri}): the ledger says {entry.n_rows} records, "
                         f"its files hold {held}")
    return lines


def _fmt(df: pd.DataFrame) -> str:
    return df.to_string(index=False, na_rep="-")


def terminal_summary(stats: Stats, top: int = 15) -> str:
    """A compact text summary: totals, funnel, languages, reasons."""
    f = stats.funnel
    if f.empty:
        return "no committed documents yet"
    docs = int(f["docs"].sum())
    kept = int(f.loc[f["stage"] == KEPT, "docs"].sum())
    units = f["unit_id"].nunique()
    runs = ", ".join(sorted(str(r) for r in f["run_id"].dropna().unique()))
    has_tokens = f["tokens"].notna().any()
    lines = [f"{docs} records, {kept} kept ({kept / docs:.1%}), {units} units, runs: {runs or '-'}", ""]
    measures = ["docs", "chars", "words"] + (["tokens"] if has_tokens else [])
    fb = funnel_by_stage(f)
    lines.append("filter funnel (removed by each stage, remaining after it):")
    lines.append(_fmt(fb[["stage", *[f"{m}_removed" for m in measures], "docs_remaining",
                          f"{measures[-1]}_remaining"]]))
    lines.append("")
    unit = "tokens" if has_tokens else "words"
    lang = stats.languages.copy()
    lang = lang.sort_values("docs_kept", ascending=False).head(top)
    lang["kept%"] = (100 * lang["kept_rate"]).round(1)
    lines.append(f"languages (top {top} by kept documents; group = Marco high/low-resource):")
    lines.append(_fmt(lang[["language", "group", "docs_total", "docs_kept", "kept%", f"{unit}_kept"]]))
    lines.append("")
    reasons = (f[f["stage"] != KEPT].groupby(["stage", "reason"], as_index=False)["docs"].sum()
               .sort_values("docs", ascending=False).head(top))
    if not reasons.empty:
        lines.append("reject reasons:")
        lines.append(_fmt(reasons[["reason", "stage", "docs"]]))
    return "\n".join(lines)


def summarise(out: str | Path) -> str:
    """Rebuild the stats of ``out`` (with the settings of its last build) and summarise them."""
    root = Path(out)
    if not (root / "_ledger").exists():
        raise FileNotFoundError(f"not a curate output directory (no _ledger): {root}")
    return terminal_summary(build_stats(root))
