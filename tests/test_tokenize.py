"""``curate tokenize``: Parquet shards -> Megatron indexed datasets that read back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from megatron.core.datasets.indexed_dataset import IndexedDataset
from tokenizers import Tokenizer, models, pre_tokenizers

from curation.cli import main
from tests.test_tokenize_fixtures import EOD, docs, train_bpe, write_bitext, write_web

LANGS = ["en", "zh", "de"]


@pytest.fixture(scope="module")
def bpe(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    texts = [t for lang in LANGS + ["ja"] for t in docs(shared_data, lang, 60)]
    return train_bpe(tmp_path_factory.mktemp("tok") / "tokenizer.json", texts)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return write_web(tmp_path_factory.mktemp("web") / "data", shared_data, LANGS, n_docs=30)


def _texts_in_shard_order(web: Path, lang: str) -> list[str]:
    out: list[str] = []
    for part in sorted((web / f"language={lang}").glob("*.parquet")):
        out.extend(pq.read_table(part).column("text").to_pylist())
    return out


def _tokenize(*extra: str) -> int:
    return main(["tokenize", "--runner", "local", "--quiet", *extra])


def test_datasets_read_back_as_the_tokenizer_ids_with_eod(bpe: Path, web: Path, tmp_path: Path) -> None:
    assert _tokenize("--input", f"web={web}", "--tokenizer", str(bpe), "--output", str(tmp_path),
                     "--append-eod") == 0
    tok = Tokenizer.from_file(str(bpe))
    eod = tok.token_to_id(EOD)
    for lang in LANGS:
        ds = IndexedDataset(str(tmp_path / "web" / lang))
        texts = _texts_in_shard_order(web, lang)
        assert len(ds) == len(texts) == 30
        for i, text in enumerate(texts):
            expected = tok.encode(text, add_special_tokens=False).ids + [eod]
            assert ds[i].tolist() == expected


def test_small_vocabulary_gives_uint16_and_counts_match_the_datasets(bpe: Path, web: Path, tmp_path: Path) -> None:
    assert _tokenize("--input", f"web={web}", "--tokenizer", str(bpe), "--output", str(tmp_path),
                     "--append-eod") == 0
    counts = json.loads((tmp_path / "token_counts.json").read_text())
    assert counts["dtype"] == "uint16"
    assert [d["prefix"] for d in counts["datasets"]] == ["web/de", "web/en", "web/zh"]
    for d in counts["datasets"]:
        ds = IndexedDataset(str(tmp_path / d["prefix"]))
        assert ds.index.dtype == np.uint16
        assert d["documents"] == len(ds)
        assert d["tokens"] == int(ds.sequence_lengths.sum())
        assert d["shards"] == 2


def test_without_append_eod_documents_are_the_bare_ids(bpe: Path, web: Path, tmp_path: Path) -> None:
    assert _tokenize("--input", f"web={web}", "--tokenizer", str(bpe), "--output", str(tmp_path)) == 0
    tok = Tokenizer.from_file(str(bpe))
    text = _texts_in_shard_order(web, "zh")[0]
    ds = IndexedDataset(str(tmp_path / "web" / "zh"))  # keep it alive: its items are views of its mmap
    assert ds[0].tolist() == tok.encode(text).ids


def test_vocabulary_past_65500_gives_int32_and_large_ids_survive(tmp_path: Path) -> None:
    vocab = {f"w{i}": i for i in range(70_000)}
    vocab["<unk>"] = 70_000
    vocab[EOD] = 70_001
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    shard = tmp_path / "in" / "language=en" / "part-0.parquet"
    shard.parent.mkdir(parents=True)
    pq.write_table(pa.table({"text": ["w1 w69999 w65536", "w65535 nope"], "language": ["en", "en"]}), shard)
    assert _tokenize("--input", f"web={tmp_path / 'in'}", "--tokenizer", str(tmp_path / "tokenizer.json"),
                     "--output", str(tmp_path / "out"), "--append-eod") == 0
    ds = IndexedDataset(str(tmp_path / "out" / "web" / "en"))
    assert ds.index.dtype == np.int32
    assert ds[0].tolist() == [1, 69_999, 65_536, 70_001]
    assert ds[1].tolist() == [65_535, 70_000, 70_001]


def test_rejected_and_empty_rows_are_left_out_and_counted(bpe: Path, tmp_path: Path) -> None:
    shard = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["kept one", "spam", "", None, "kept two"],
                             "language": ["en"] * 5,
                             "reject_reason": [None, "url_blocklist", None, None, None]}), shard)
    assert _tokenize("--input", f"web={shard}", "--tokenizer", str(bpe), "--output", str(tmp_path / "o"),
                     "--append-eod") == 0
    counts = json.loads((tmp_path / "o" / "token_counts.json").read_text())
    assert counts["rejected_rows"] == 1
    assert counts["empty_rows"] == 2
    assert counts["datasets"][0]["documents"] == 2


def test_bitext_rows_make_one_dataset_per_language_pair(bpe: Path, shared_data: Path, tmp_path: Path) -> None:
    shard = write_bitext(tmp_path / "bitext" / "part-0.parquet", shared_data,
                         {"de": "deu_Latn.devtest", "zh": "zho_Hans.devtest"}, n=5)
    assert _tokenize("--input", f"parallel={shard.parent}", "--tokenizer", str(bpe), "--output",
                     str(tmp_path / "o"), "--append-eod") == 0
    counts = json.loads((tmp_path / "o" / "token_counts.json").read_text())
    assert [(d["prefix"], d["documents"]) for d in counts["datasets"]] == [("parallel/en-de", 5),
                                                                          ("parallel/en-zh", 5)]


def test_a_corrupt_shard_fails_the_run_in_one_line_but_the_others_are_written(
        bpe: Path, web: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad" / "part-0.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"PAR1 this is not parquet")
    code = _tokenize("--input", f"web={web}", "--input", f"junk={bad.parent}", "--tokenizer", str(bpe),
                     "--output", str(tmp_path / "o"))
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert err.startswith("curate: error: 1 of 7 shards failed, e.g. ") and str(bad) in err
    counts = json.loads((tmp_path / "o" / "token_counts.json").read_text())
    assert [e["path"] for e in counts["errors"]] == [str(bad)]
    ds = IndexedDataset(str(tmp_path / "o" / "web" / "en"))
    assert len(ds) == 30


def test_a_missing_tokenizer_is_a_one_line_usage_error(web: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = _tokenize("--input", f"web={web}", "--tokenizer", str(tmp_path / "nope.json"), "--output", str(tmp_path))
    assert code == 2
    assert capsys.readouterr().err.strip() == f"curate: error: tokenizer.json not found: {tmp_path / 'nope.json'}"


def test_a_tokenizer_without_eod_token_is_refused(web: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    tok = Tokenizer(models.WordLevel({"a": 0, "<unk>": 1}, unk_token="<unk>"))
    tok.save(str(tmp_path / "t.json"))
    assert _tokenize("--input", f"web={web}", "--tokenizer", str(tmp_path / "t.json"), "--output", str(tmp_path)) == 2
    assert "no end-of-document token" in capsys.readouterr().err
