"""``OUT/report.html``: one self-contained page (plots inline as base64 PNG, no external URL).

It must open offline and on a laptop without the project, so every image is a data: URI and
the only script is a small inline check that records whether every plot decoded; the
headless-browser test reads that result from the page.
"""

from __future__ import annotations

import base64
import html
import io
import os
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from curation.report_plots import (  # noqa: E402
    funnel_figure,
    reasons_figure,
    signal_figures,
    tokens_per_language_figure,
)
from curation.stats import funnel_by_stage, reasons_by_language  # noqa: E402
from curation.stats_build import Stats  # noqa: E402
from curation.stats_stages import KEPT  # noqa: E402

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:2px 6px;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto}.grid{display:flex;flex-wrap:wrap;gap:8px}.grid img{width:360px}
.note{color:#666;font-size:.85rem}#load-status{font-size:.75rem;color:#888}
"""

# Records which plots decoded (naturalWidth > 0) and any script error, into #load-status.
SCRIPT = """
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message || e)); });
  function report() {
    var imgs = Array.prototype.slice.call(document.querySelectorAll('img.plot'));
    var pending = imgs.filter(function (i) { return !i.complete; });
    if (pending.length) { setTimeout(report, 50); return; }
    var loaded = imgs.filter(function (i) { return i.naturalWidth > 0; }).length;
    var el = document.getElementById('load-status');
    el.setAttribute('data-images', String(imgs.length));
    el.setAttribute('data-loaded', String(loaded));
    el.setAttribute('data-errors', JSON.stringify(errors));
    el.setAttribute('data-state', 'done');
    el.textContent = loaded + '/' + imgs.length + ' plots loaded' + (errors.length ? ', errors: ' + errors : '');
  }
  window.addEventListener('load', report);
})();
"""


def figure_png(fig: Figure, dpi: int = 110) -> str:
    """A figure as a base64 PNG data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig: Figure, alt: str) -> str:
    return f'<img class="plot" alt="{html.escape(alt)}" src="{figure_png(fig)}">'


def _table(df: pd.DataFrame, index: bool = False) -> str:
    df = df.copy()
    for c in df.columns:  # nullable integer columns: pandas would print <NA>
        if isinstance(df[c].dtype, pd.Int64Dtype):
            df[c] = df[c].astype("float64")
    return df.to_html(index=index, na_rep="–", border=0,
                      float_format=lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.3g}")


def _without_tokens(df: pd.DataFrame, has_tokens: bool) -> pd.DataFrame:
    return df if has_tokens else df[[c for c in df.columns if "tokens" not in c]]


def render(stats: Stats, title: str) -> str:
    """The whole page as a string."""
    f = stats.funnel
    docs = int(f["docs"].sum()) if not f.empty else 0
    kept = int(f.loc[f["stage"] == KEPT, "docs"].sum()) if not f.empty else 0
    unit = "tokens" if not f.empty and f["tokens"].notna().any() else "words"
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = ", ".join(sorted(str(r) for r in f["run_id"].dropna().unique())) if not f.empty else "–"
    parts.append(f"<p>{docs:,} records, {kept:,} kept ({(kept / docs if docs else 0):.1%}), "
                 f"{f['unit_id'].nunique() if not f.empty else 0} units; runs {html.escape(runs)}. "
                 f"<span class='note'>Generated {when} from <code>stats/*.parquet</code>; "
                 f"model tokens are counted only when <code>stats.tokenizer</code> is set, else words.</span></p>")
    if f.empty:
        parts.append("<p>No committed documents yet.</p>")
    else:
        parts.append("<h2>Filter funnel</h2>")
        parts.append(_img(funnel_figure(stats), "filter funnel"))
        parts.append(_table(_without_tokens(funnel_by_stage(f), unit == "tokens")))
        parts.append(f"<h2>Kept {unit} per language</h2>")
        parts.append("<p class='note'>Blue: high-resource, orange: low-resource, as Marco-LLM groups the 29 "
                     "languages (§3.1.5); grey: other languages.</p>")
        parts.append(_img(tokens_per_language_figure(stats), f"{unit} per language"))
        lang = _without_tokens(stats.languages, unit == "tokens")
        shown = lang[(lang["group"] != "other") | (lang["docs_kept"] > 0)]
        parts.append(_table(shown))
        if len(shown) < len(lang):
            parts.append(f"<p class='note'>{len(lang) - len(shown)} other languages without kept documents are "
                         "left out here (they are in <code>stats/languages.parquet</code>).</p>")
        parts.append("<h2>Signal histograms</h2>")
        parts.append("<p class='note'>All languages; green kept, red rejected. Solid line: threshold for all "
                     "languages; dotted: per-language thresholds (from the config and thresholds files).</p>")
        parts.append("<div class='grid'>")
        for name, fig in signal_figures(stats):
            parts.append(_img(fig, f"histogram of {name}"))
        parts.append("</div>")
        if not stats.thresholds.empty:
            parts.append(_table(stats.thresholds))
        parts.append("<h2>Reject reasons per language</h2>")
        parts.append(_img(reasons_figure(stats), "reject reasons per language"))
        parts.append(_table(reasons_by_language(f), index=True))
    parts.append(f"<p id='load-status' data-state='pending'>checking plots…</p><script>{SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(stats: Stats, path: str | Path, title: str = "Corpus statistics") -> Path:
    """Write the page atomically (temp name, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    tmp.write_text(render(stats, title), encoding="utf-8")
    os.replace(tmp, p)
    return p
