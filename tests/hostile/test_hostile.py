"""The hostile-input suite: every case file (good page, bad input, good page) goes through
``curate run`` in one job. For each case: the job finishes, both good pages are kept, the bad
input ends with one of the case's specific reasons, and memory per document stays bounded.

Quality, perplexity and dedup are off here: the good pages repeat across case files (dedup
would rightly drop the copies), and the threshold/model assets are not what this suite tests.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from curation.cli import main
from curation.config import ReadConfig
from curation.io.payload import decode_text, header_charset, meta_charset, sniff_binary
from curation.io.warc import iter_rows
from tests.hostile import generate as gen

REPO = Path(__file__).resolve().parents[2]
CASES = {c.name: c for c in gen.CASES}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return gen.write_all(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def job(hostile_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[int, list[dict]]:
    """One ``curate run`` over every case file; its exit code and all output rows."""
    root = tmp_path_factory.mktemp("hostile-run")
    data = yaml.safe_load((REPO / "pipelines/configs/web.yaml").read_text())
    for section in ("quality", "perplexity", "dedup"):
        data.setdefault(section, {})["enabled"] = False
    data.setdefault("stats", {})["enabled"] = False
    cfg = root / "web.yaml"
    cfg.write_text(yaml.safe_dump(data))
    out = root / "out"
    argv = ["run", str(cfg), "--runner", "local", "--output", str(out), "--quiet"]
    for p in hostile_files.values():
        argv += ["--input", str(p)]
    rc = main(argv)
    files = sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet"))
    cols = ["source", "url", "text", "reject_reason", "reject_detail", "charset_source"]
    rows = [r for f in files for r in pq.read_table(f, columns=cols).to_pylist()]
    return rc, rows


def _case_rows(rows: list[dict], path: Path) -> list[dict]:
    return [r for r in rows if r["source"] == str(path)]


def test_the_job_over_all_hostile_files_finishes(job):
    rc, rows = job
    assert rc == 0
    assert len({r["source"] for r in rows}) == len(gen.CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_good_records_beside_the_bad_one_are_kept(name, job, hostile_files):
    _, rows = job
    good = gen.good_urls(CASES[name], gen.good_pages())
    kept = {r["url"]: r for r in _case_rows(rows, hostile_files[name]) if r["url"] in good}
    assert set(kept) == good
    assert all(r["reject_reason"] is None and len(r["text"]) > 500 for r in kept.values())


@pytest.mark.parametrize("name", list(CASES))
def test_the_bad_input_ends_with_its_specific_reason(name, job, hostile_files):
    _, rows = job
    case = CASES[name]
    good = gen.good_urls(case, gen.good_pages())
    bad = [r for r in _case_rows(rows, hostile_files[name]) if r["url"] not in good]
    assert bad, "the bad input left no row: it must be rejected or reported"
    assert {r["reject_reason"] for r in bad} <= case.allowed, [(r["reject_reason"], r["reject_detail"]) for r in bad]


def test_damage_is_reported_with_the_skipped_byte_range(job, hostile_files):
    _, rows = job
    for name in ("truncated_gzip_member", "garbage_between_records", "missing_content_length",
                 "content_length_too_long"):
        (row,) = [r for r in _case_rows(rows, hostile_files[name]) if r["reject_reason"] == "input_skipped"]
        assert row["reject_detail"].startswith("skipped bytes ") and "(after record 1)" in row["reject_detail"]


def test_lying_charset_is_decoded_by_what_the_bytes_are(job, hostile_files):
    _, rows = job
    (row,) = [r for r in _case_rows(rows, hostile_files["lying_charset"]) if "lying-charset" in (r["url"] or "")]
    assert row["charset_source"] != "header"
    assert gen._russian_sentences()[0] in row["text"]


def test_invalid_utf8_becomes_valid_text(job, hostile_files):
    _, rows = job
    (row,) = [r for r in _case_rows(rows, hostile_files["invalid_utf8"]) if "invalid-utf8" in (r["url"] or "")]
    row["text"].encode("utf-8")  # no lone surrogates survive decoding
    assert row["charset_source"] in ("detected", "fallback")


def test_long_url_is_stored_cut_to_the_cap(job, hostile_files):
    _, rows = job
    (row,) = [r for r in _case_rows(rows, hostile_files["url_100kb"]) if r["reject_reason"] == "url_too_long"]
    assert len(row["url"]) == ReadConfig().max_url_chars
    assert row["reject_detail"] == "100029 characters (read.max_url_chars = 8192)"


@pytest.mark.parametrize("name", ["page_50mb", "gzip_bomb"])
def test_reading_a_huge_payload_stays_within_a_few_times_the_cap(name, hostile_files):
    cfg = ReadConfig()
    tracemalloc.start()
    try:
        rows = list(iter_rows(str(hostile_files[name]), "u", cfg))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.get("reject_reason") for r in rows] == [None, "payload_too_large", None]
    assert peak < 4 * cfg.max_payload_bytes, f"peak {peak} bytes"


# --------------------------------------------------------------------------- the fixes, one string each

def test_charset_regexes_are_not_fooled_by_bait():
    assert header_charset("text/html; charset=" + " " * 100_000 + "!") is None
    assert header_charset("text/html; charset = 'koi8-r'") == "koi8-r"
    assert meta_charset(b"<meta charset=" + b" " * 3000 + b"!>") is None
    assert meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">') == "windows-1251"


@pytest.mark.parametrize("body,kind", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"), (b"%PDF-1.7\n%\xe2\xe3", "pdf"), (b"\xff\xd8\xff\xe0JFIF", "jpeg"),
    (b"PK\x03\x04\x14\x00", "zip"), (bytes(range(256)) * 4, "binary"),
])
def test_binary_payloads_are_named(body, kind):
    assert sniff_binary(body) == kind


@pytest.mark.parametrize("body", [
    "<html><body>Grüße, 你好, привет</body></html>".encode(), "<p>ok</p>".encode("utf-16"), b"",
    b"<html>\x1b$B$3$s$K$A$O\x1b(B</html>",  # ISO-2022-JP uses ESC, still text
])
def test_text_payloads_are_not_binary(body):
    assert sniff_binary(body) is None


def test_decode_never_leaves_undecodable_text():
    text, _, source = decode_text(b"<p>caf\xc3\xa9 \xff\xfe \xed\xa0\x80</p>", "text/html; charset=utf-8")
    text.encode("utf-8")
    assert source != "header"


def test_extraction_memory_cap_comes_from_the_config():
    from curation.config import ExtractConfig
    from filters.extract import ExtractStage

    assert ExtractStage(ExtractConfig()).memory_limit_mb == 4096
    assert ExtractStage(ExtractConfig(max_memory_mb=1024)).memory_limit_mb == 1024


def test_uncompressed_warc_resyncs_at_the_next_warc_line(tmp_path):
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def plain(url: str, body: bytes) -> bytes:
        buf = BytesIO()
        w = WARCWriter(buf, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
        return buf.getvalue()

    good = gen.good_pages()
    path = tmp_path / "plain.warc"
    path.write_bytes(plain("https://a.example/1", good[0].body) + b"\x00\xffgarbage\r\nWARC/1.0 not really\r\n\r\n"
                     + plain("https://a.example/2", good[1].body))
    rows = list(iter_rows(str(path), "u", ReadConfig()))
    # The fake "WARC/1.0" line is a plausible restart point: it costs a second skipped range.
    assert [(r.get("url"), r.get("reject_reason")) for r in rows] == [
        ("https://a.example/1", None), (None, "input_skipped"), (None, "input_skipped"), ("https://a.example/2", None)]
