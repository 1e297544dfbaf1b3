"""report.html renders in a real headless Chromium: every plot decodes, no script error.

Chromium comes from Debian (scripts/setup.d/50-chromium.sh, installed with ``setup.sh --dev``).
The page's own inline script writes the load results into ``#load-status``; ``--dump-dom``
returns the DOM after the page's scripts ran, and ``--screenshot`` keeps a picture of it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from curation.report import SCRIPT, write_report
from curation.stats_build import build_stats
from tests.test_stats_demo import make_demo


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("chromium is not installed: run `bash scripts/setup.sh --dev` (setup.d/50-chromium.sh)")
    return exe


def headless(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=15000", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def report(shared_data, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("reportdemo")
    out, _, _ = make_demo(shared_data, tmp, tokenizer=False)
    return write_report(build_stats(out), out / "report.html")


def load_status(dom: str) -> dict[str, str]:
    m = re.search(r'<p id="load-status"([^>]*)>', dom)
    assert m, "no #load-status element in the rendered DOM"
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1)))


def test_every_plot_loads_and_no_script_error_occurs(report, tmp_path):
    proc = headless(report, tmp_path / "profile", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    status = load_status(proc.stdout)
    assert status["state"] == "done"  # the inline script ran to the end
    n_img = len(re.findall(r'<img class="plot"', report.read_text()))
    assert n_img >= 5
    assert int(status["images"]) == n_img
    assert int(status["loaded"]) == n_img  # naturalWidth > 0 for every plot
    assert json.loads(status["errors"].replace("&quot;", '"')) == []


def test_screenshot_shows_the_rendered_page(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = headless(report, tmp_path / "profile", "--hide-scrollbars", "--window-size=1200,3000",
                    f"--screenshot={shot}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    pixels = imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    assert np.std(pixels[..., :3]) > 0.05  # text and plots, not a blank page


def test_the_check_catches_a_broken_plot_and_a_script_error(tmp_path):
    """A 1x1 PNG that decodes, one that does not, and a script that throws: the status says so."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html><body>"
        '<img class="plot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk'
        '+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">'
        '<img class="plot" src="data:image/png;base64,bm90IGEgcG5n">'
        f"<p id='load-status' data-state='pending'></p><script>{SCRIPT}</script>"
        "<script>undefinedFunction();</script></body></html>")
    proc = headless(page, tmp_path / "profile", "--dump-dom")
    status = load_status(proc.stdout)
    assert (status["state"], status["images"], status["loaded"]) == ("done", "2", "1")
    assert "undefinedFunction" in status["errors"]
