"""notebooks/corpus_stats.ipynb runs headless (nbclient) against a demo run, with and without a plan.

Marked slow (a demo run plus two kernel executions); CI runs it with the rest of the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.test_stats_demo import curate, make_demo

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "corpus_stats.ipynb"


def execute(out: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["CURATION_OUT"] = str(out)  # the kernel inherits it
    try:
        NotebookClient(nb, kernel_name="python3", timeout=600,
                       resources={"metadata": {"path": str(REPO)}}).execute()
    finally:
        os.environ.pop("CURATION_OUT", None)
    return nb


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if mime == "stream" and o.output_type == "stream":
                found.append(o.text)
            elif mime in o.get("data", {}):
                found.append(o["data"][mime])
    return found


@pytest.fixture(scope="module")
def demo_out(shared_data, tmp_path_factory) -> Path:
    out, _, _ = make_demo(shared_data, tmp_path_factory.mktemp("nbdemo"))
    return out


def test_notebook_runs_and_shows_every_view(demo_out):
    nb = execute(demo_out)  # nbclient raises CellExecutionError on any failing cell
    assert len(outputs(nb, "image/png")) >= 5  # funnel, tokens per language, histograms, reasons
    text = "\n".join(outputs(nb, "stream"))
    assert "filter funnel" in text and "kept documents" in text
    markdown = "\n".join(outputs(nb, "text/markdown"))
    assert "No mixture plan yet" in markdown


def test_notebook_shows_the_utilisation_table_once_a_plan_exists(demo_out):
    counts = demo_out / "stats" / "mix_counts.parquet"
    assert counts.is_file()
    curate("mix", "--counts", str(counts), "--output", str(demo_out), "--stage-tokens", "20000,20000")
    nb = execute(demo_out)
    markdown = "\n".join(outputs(nb, "text/markdown"))
    assert "Utilisation table from" in markdown
    html = "\n".join(outputs(nb, "text/html"))
    assert "tokens_kept_in_stats" in html and "<td>en</td>" in html
