"""Bitext readers: Moses, TSV, TMX and Parquet files, languages from names or config, bad input as rows."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation import schema
from curation.io.bitext import iter_pairs, langs_from_name, read_bitext_unit
from curation.io.bitext_schema import WINDOW, WINDOW_ROWS
from pipelines.parallel_config import BitextReadConfig

TATOEBA = "tatoeba-test-v2021-08-07"


def rows(uri: str, **cfg) -> list[dict]:
    return list(iter_pairs(str(uri), "u", BitextReadConfig(**cfg)))


def lines(path: Path, n: int | None = None) -> list[str]:
    out = path.read_text(encoding="utf-8").splitlines()
    return out if n is None else out[:n]


@pytest.fixture(scope="module")
def eng_fra(shared_data) -> Path:
    return shared_data / "tatoeba" / "eng-fra"


def test_moses_pairs_take_languages_from_file_names(eng_fra):
    got = rows(eng_fra / f"{TATOEBA}.eng")
    assert len(got) == len(lines(eng_fra / f"{TATOEBA}.eng")) == 12681
    first = got[0]
    assert (first["src_lang"], first["tgt_lang"], first["pair"]) == ("en", "fr", "en-fr")
    assert first["src"] == "80% of all English words come from other languages."
    assert first["tgt"] == "Quatre-vingt pour cent des mots anglais proviennent d'autres langues."
    assert first.get("reject_reason") is None and first["line"] == 0


def test_moses_skips_label_files_and_maps_script_tagged_codes(shared_data):
    got = rows(shared_data / "tatoeba" / "eng-cmn_Hans" / f"{TATOEBA}.eng")
    assert got[0]["pair"] == "en-zh"
    assert got[0]["tgt"] == "2016年是有记录以来最热的一年。"


def test_moses_target_side_file_reads_the_reverse_direction(eng_fra):
    got = rows(eng_fra / f"{TATOEBA}.fra")
    assert got[0]["pair"] == "fr-en"
    assert got[0]["src"] == "Quatre-vingt pour cent des mots anglais proviennent d'autres langues."


def test_config_languages_override_file_names(tmp_path, eng_fra):
    (tmp_path / "corpus.a").write_text("\n".join(lines(eng_fra / f"{TATOEBA}.eng", 3)) + "\n", encoding="utf-8")
    (tmp_path / "corpus.b").write_text("\n".join(lines(eng_fra / f"{TATOEBA}.fra", 3)) + "\n", encoding="utf-8")
    got = rows(tmp_path / "corpus.a", src_lang="eng", tgt_lang="fr")
    assert [r["pair"] for r in got] == ["en-fr"] * 3


def test_mismatched_line_counts_are_one_input_error_row(tmp_path, eng_fra):
    (tmp_path / "corpus.en").write_text("\n".join(lines(eng_fra / f"{TATOEBA}.eng", 5)) + "\n", encoding="utf-8")
    (tmp_path / "corpus.fr").write_text("\n".join(lines(eng_fra / f"{TATOEBA}.fra", 4)) + "\n", encoding="utf-8")
    got = rows(tmp_path / "corpus.en")
    assert len(got) == 1
    assert got[0]["reject_reason"] == "input_error"
    assert got[0]["reject_detail"] == (f"mismatched line counts: {tmp_path / 'corpus.en'} has 5 lines, "
                                       f"{tmp_path / 'corpus.fr'} has 4; Moses files must be line-aligned")


def test_moses_without_a_partner_file_is_an_input_error(tmp_path):
    (tmp_path / "alone.en").write_text("Hello.\n", encoding="utf-8")
    got = rows(tmp_path / "alone.en")
    assert got[0]["reject_reason"] == "input_error"
    assert "Moses target file not found" in got[0]["reject_detail"]


def test_gzipped_moses_pairs_read_like_plain_ones(tmp_path, eng_fra):
    for ext in ("eng", "fra"):
        with gzip.open(tmp_path / f"c.{ext}.gz", "wt", encoding="utf-8") as fh:
            fh.write("\n".join(lines(eng_fra / f"{TATOEBA}.{ext}", 10)) + "\n")
    got = rows(tmp_path / "c.eng.gz")
    assert [r["src"] for r in got] == lines(eng_fra / f"{TATOEBA}.eng", 10)
    assert got[0]["pair"] == "en-fr"


def test_tsv_pairs_take_languages_from_the_name_and_flag_lines_without_a_tab(tmp_path, eng_fra):
    src, tgt = lines(eng_fra / f"{TATOEBA}.eng", 3), lines(eng_fra / f"{TATOEBA}.fra", 3)
    body = [f"{a}\t{b}" for a, b in zip(src, tgt)] + ["no tab here"]
    path = tmp_path / "tatoeba.en-fr.tsv"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    got = rows(path)
    assert [(r["src"], r["tgt"], r["pair"]) for r in got[:3]] == [(a, b, "en-fr") for a, b in zip(src, tgt)]
    assert (got[3]["reject_reason"], got[3]["reject_detail"]) == ("malformed_pair",
                                                                 "line 4 has no tab (src<TAB>tgt expected)")


def test_tsv_without_languages_is_an_input_error(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Hello.\tBonjour.\n", encoding="utf-8")
    got = rows(path)
    assert got[0]["reject_reason"] == "input_error"
    assert "cannot tell the languages" in got[0]["reject_detail"]


def test_tmx_units_skip_inline_codes_and_flag_missing_languages(tmp_path):
    path = tmp_path / "memory.tmx"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en-US" datatype="plaintext"/>'
        "<body>"
        '<tu><tuv xml:lang="en-US"><seg>Click <bpt i="1">&lt;b&gt;</bpt>Save<ept i="1">&lt;/b&gt;</ept> now.</seg>'
        '</tuv><tuv xml:lang="de-DE"><seg>Jetzt <bpt i="1">&lt;b&gt;</bpt>Speichern<ept i="1">&lt;/b&gt;</ept> '
        "klicken.</seg></tuv></tu>"
        '<tu><tuv xml:lang="en-US"><seg>Only English.</seg></tuv></tu>'
        "</body></tmx>", encoding="utf-8")
    got = rows(path)
    assert (got[0]["src"], got[0]["tgt"], got[0]["pair"]) == ("Click Save now.", "Jetzt Speichern klicken.", "en-de")
    assert got[1]["reject_reason"] == "malformed_pair"
    assert got[1]["reject_detail"] == "translation unit 2 lacks a en or None segment (has: en)"


def test_broken_tmx_keeps_the_units_before_the_error(tmp_path):
    path = tmp_path / "broken.tmx"
    path.write_text('<tmx><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>Yes.</seg></tuv>'
                    '<tuv xml:lang="fr"><seg>Oui.</seg></tuv></tu><tu><tuv', encoding="utf-8")
    got = rows(path)
    assert (got[0]["src"], got[0]["tgt"]) == ("Yes.", "Oui.")
    assert got[1]["reject_reason"] == "input_error" and "ParseError after pair 1" in got[1]["reject_detail"]


def test_parquet_pairs_use_their_language_columns(tmp_path):
    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"src": ["Hello.", "Merci."], "tgt": ["Hallo.", "Thanks."],
                             "src_lang": ["eng", "fr"], "tgt_lang": ["deu", "en"]}), path)
    got = rows(path)
    assert [(r["pair"], r["src"], r["tgt"]) for r in got] == [("en-de", "Hello.", "Hallo."),
                                                             ("fr-en", "Merci.", "Thanks.")]


def test_parquet_without_src_and_tgt_columns_is_an_input_error(tmp_path):
    path = tmp_path / "en-fr.parquet"
    pq.write_table(pa.table({"source": ["Hello."], "target": ["Bonjour."]}), path)
    got = rows(path)
    assert got[0]["reject_reason"] == "input_error"
    assert got[0]["reject_detail"] == f"{path}: Parquet pairs need columns 'src' and 'tgt' (found: source, target)"


def test_languages_from_names():
    assert langs_from_name("/d/news.en-de.tsv") == ("en", "de")
    assert langs_from_name("/d/eng-zsm_Latn/test.tsv") == ("en", "ms")
    assert langs_from_name("/d/pairs.tsv") is None


def test_chunks_carry_the_unit_total_on_the_last_chunk(eng_fra):
    chunks = list(read_bitext_unit(str(eng_fra / f"{TATOEBA}.eng"), "u", BitextReadConfig(chunk_rows=5000)))
    assert [c.num_rows for c in chunks] == [5000, 5000, 2681]
    assert set(chunks[-1].column(schema.UNIT_TOTAL).to_pylist()) == {12681}
    assert set(chunks[0].column(schema.UNIT_TOTAL).to_pylist()) == {None}
    assert chunks[-1].column(schema.RECORD_INDEX).to_pylist()[-1] == 12680


def test_chunks_are_numbered_windows_cut_at_the_row_or_text_byte_limit(eng_fra):
    src_path = eng_fra / f"{TATOEBA}.eng"
    chunks = list(read_bitext_unit(str(src_path), "u", BitextReadConfig(chunk_rows=64, max_chunk_bytes=3000)))
    assert [c.num_rows for c in chunks[:8]] == [24, 30, 25, 11, 13, 14, 26, 27]
    assert sum(c.num_rows for c in chunks) == 12681
    src, tgt = lines(src_path), lines(eng_fra / f"{TATOEBA}.fra")
    sizes = [len(a.encode()) + len(b.encode()) for a, b in zip(src, tgt)]
    start = 0
    for k, chunk in enumerate(chunks):
        assert set(chunk.column(WINDOW).to_pylist()) == {k}
        assert set(chunk.column(WINDOW_ROWS).to_pylist()) == {chunk.num_rows}
        end = start + chunk.num_rows
        assert chunk.num_rows <= 64 and sum(sizes[start:end]) <= 3000
        if end < len(sizes):  # cut only where the next pair would pass a limit
            assert chunk.num_rows == 64 or sum(sizes[start:end + 1]) > 3000
        start = end
