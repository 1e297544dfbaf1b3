"""DataTrove in a virtual environment of its own, so its pins never touch ours.

``bench/_work/datatrove-venv`` (gitignored) is created on first use; ``DATATROVE_VENV``
points at an existing one instead. Besides ``datatrove[io,processing]==0.10.1`` it needs:
- ``spacy``: DataTrove's English word tokenizer (``spacy.blank``; no model download);
- ``lxml_html_clean``: trafilatura 1.11 (DataTrove's pin) imports ``lxml.html.clean``, split out
  of lxml 5.2+; without it every extraction fails inside DataTrove's sandbox and is counted as a
  timeout;
- ``requests``/``aiohttp``: ``datatrove.io.strip_protocol`` resolves fsspec's HTTP filesystem
  to name its cached model files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = ROOT / "bench" / "_work" / "datatrove-venv"
PACKAGES = ["datatrove[io,processing]==0.10.1", "spacy", "lxml_html_clean", "requests", "aiohttp"]


def datatrove_python() -> Path:
    """The interpreter of DataTrove's venv, creating the venv if needed."""
    venv = Path(os.environ.get("DATATROVE_VENV") or DEFAULT_VENV)
    python = venv / "bin" / "python"
    marker = venv / ".curation-bench-ready"
    if marker.exists():
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing DataTrove into {venv} ...", file=sys.stderr)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    marker.write_text(" ".join(PACKAGES) + "\n")
    return python
