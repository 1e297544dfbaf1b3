"""Quick counts over an output directory (the full stats report is a later issue)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds


def summarise(out: str | Path) -> str:
    root = Path(out)
    if not (root / "_ledger").exists():
        raise FileNotFoundError(f"not a curate output directory (no _ledger): {root}")
    lines = []
    data_dir = root / "data"
    if data_dir.exists():
        kept = ds.dataset(data_dir, format="parquet", partitioning="hive").to_table(columns=["language", "n_chars"])
        df = kept.to_pandas().groupby("language").agg(docs=("n_chars", "size"), chars=("n_chars", "sum"))
        lines.append("kept documents per language:")
        lines.append(df.sort_values("docs", ascending=False).to_string())
    rej_dir = root / "rejected"
    if rej_dir.exists():
        rej = ds.dataset(rej_dir, format="parquet").to_table(columns=["reject_reason"]).to_pandas()
        lines.append("rejected documents per reason:")
        lines.append(rej.value_counts("reject_reason").to_string())
    return "\n".join(lines)
