import pyarrow as pa

from curation import schema
from curation.config import ExtractConfig, ReadConfig
from curation.io.warc import read_unit
from filters.extract import ExtractStage
from tests.warc_builder import page


def batch_of(htmls: list[str | None]) -> pa.Table:
    return schema.from_rows([{"id": str(i), "source": "t", schema.HTML: h, schema.UNIT_ID: "u",
                              schema.RECORD_INDEX: i} for i, h in enumerate(htmls)])


def pathological_page(n: int = 25_000) -> str:
    """Megabytes of link-laden blocks: trafilatura needs seconds on it (measured ~2.4 ms/block)."""
    blocks = "".join(f"<div><p>Paragraph {i} with some words.</p><a href='/x{i}'>link {i}</a></div>" for i in range(n))
    return f"<html><body>{blocks}</body></html>"


def test_extracts_main_text_and_counts():
    stage = ExtractStage(ExtractConfig())
    try:
        out = stage(batch_of([page("Bergwanderung", "Der Weg führt über die Alm zum Gipfel des Berges. " * 8)]))
    finally:
        stage.teardown()
    row = out.to_pylist()[0]
    assert "Der Weg führt über die Alm" in row["text"]
    assert row["reject_reason"] is None
    assert row["n_words"] == len(row["text"].split())
    assert row[schema.HTML] is None  # raw HTML is dropped once extracted


def test_page_without_main_text_is_extract_empty():
    stage = ExtractStage(ExtractConfig())
    try:
        out = stage(batch_of(["<html><head><title>t</title></head><body><div> </div></body></html>"]))
    finally:
        stage.teardown()
    assert out.column("reject_reason").to_pylist() == ["extract_empty"]
    assert out.column("text").to_pylist() == [None]


def test_time_limit_stops_a_pathological_page_and_the_batch_goes_on():
    good = page("Good", "This article has a clear main text about rivers and lakes. " * 8)
    stage = ExtractStage(ExtractConfig(timeout_s=0.5))
    try:
        out = stage(batch_of([good, pathological_page(), good]))
        assert stage._pool is not None and stage._pool.restarts == 1
    finally:
        stage.teardown()
    assert out.column("reject_reason").to_pylist() == [None, "extract_timeout", None]
    assert "rivers and lakes" in out.column("text").to_pylist()[2]


def test_rejected_rows_pass_through_untouched():
    batch = batch_of([page("x", "y " * 100)])
    batch = batch.set_column(batch.schema.get_field_index("reject_reason"), "reject_reason",
                             pa.array(["non_html"]))
    stage = ExtractStage(ExtractConfig())
    try:
        out = stage(batch)
    finally:
        stage.teardown()
    assert out.column("reject_reason").to_pylist() == ["non_html"]
    assert out.column("text").to_pylist() == [None]


def test_real_pages_extract(warc_dir):
    (chunk,) = list(read_unit(str(warc_dir / "wget-en-0001.warc.gz"), "u", ReadConfig()))
    stage = ExtractStage(ExtractConfig())
    try:
        out = stage(chunk)
    finally:
        stage.teardown()
    kept = [r for r in out.to_pylist() if r["reject_reason"] is None]
    assert out.num_rows == chunk.num_rows
    assert len(kept) >= 12
    assert all(r["text"] and r["n_chars"] == len(r["text"]) for r in kept)
