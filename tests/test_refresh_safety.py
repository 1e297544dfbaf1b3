"""Safety audit: no output path comes from untrusted strings, nothing from the input is evaluated."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from curation.cli import main
from tests.hostile.generate import good_pages, raw_record, record

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^(part-[0-9a-f]{20}(\.dedup)?\.parquet|[0-9a-f]{20}\.json|manifest\.json|CURRENT|_lock"
                  r"|[\w.+-]+\.(parquet|json|jsonl))$")


def test_hostile_urls_and_record_ids_never_become_paths(tmp_path):
    """URLs and WARC-Record-IDs full of path syntax: every file written stays under OUT and is
    named by a hash, a number, or a fixed name."""
    good = good_pages()
    evil = ["../../../../tmp/pwned", "/etc/passwd", "..\\..\\x", "a/../../b", "%2e%2e%2f", "\x00nul", "language=../x"]
    data = b""
    for i, bad in enumerate(evil):
        data += record(f"http://h.example/{bad}", good[i % 2].body,
                       warc_headers={"WARC-Record-ID": f"<urn:{bad}>"})
        block = b"HTTP/1.1 200 OK\r\n\r\n<p>x</p>"
        data += raw_record(f"file:///{bad}", block, len(block), f"{i}/../../{bad}")
    src = tmp_path / "in" / "evil.warc.gz"
    src.parent.mkdir()
    src.write_bytes(data)
    cfg = yaml.safe_load((REPO / "pipelines/configs/web.yaml").read_text())
    for section in ("quality", "perplexity"):
        cfg.setdefault(section, {})["enabled"] = False
    cfg["runner"]["kind"] = "local"
    cfg["input"]["paths"] = [str(src)]
    cfg["output"]["path"] = str(tmp_path / "out")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    before = {p for p in tmp_path.rglob("*")}
    assert main(["refresh", str(tmp_path / "c.yaml"), "--quiet"]) == 0
    created = {p for p in tmp_path.rglob("*")} - before
    out = (tmp_path / "out").resolve()
    assert created and all(p.resolve().is_relative_to(out) for p in created)
    for p in created:
        if p.is_file():
            assert NAME.match(p.name), p
        else:
            assert re.match(r"^(\w+|language=[a-z]{2,3}|_[a-z_]+|\d+)$", p.name), p


def _python_sources() -> list[Path]:
    return [p for d in ("curation", "filters", "dedup", "pipelines") for p in (REPO / d).rglob("*.py")]


def test_no_module_evaluates_or_unpickles_input():
    """No eval/exec, no unsafe YAML, and unpickling only of our own child-process frames."""
    banned = re.compile(r"(?<![\w.])(eval|exec)\(|yaml\.load\(|yaml\.unsafe_load|marshal\.loads|shelve\.")
    found = []
    for p in _python_sources():
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if banned.search(line.split("#", 1)[0]):
                found.append(f"{p.relative_to(REPO)}:{n}: {line.strip()}")
            if "pickle.loads" in line and p.name != "child.py":
                found.append(f"{p.relative_to(REPO)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
