"""Helpers for the tokenize/mix tests: a tiny BPE tokenizer and Parquet shards from real text.

No tests here; the module name only keeps it among this issue's files.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

EOD = "<|endoftext|>"


def sentences(shared_data: Path, lang: str, n: int) -> list[str]:
    lines = (shared_data / "sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip()][:n]


def train_bpe(path: Path, texts: list[str], vocab: int = 800) -> Path:
    """A byte-level BPE like Qwen2's (same pre-tokeniser family and EOD name), tiny vocabulary."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[EOD],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return path


def docs(shared_data: Path, lang: str, n_docs: int, per_doc: int = 4) -> list[str]:
    sent = sentences(shared_data, lang, n_docs * per_doc)
    return [" ".join(sent[i:i + per_doc]) for i in range(0, len(sent), per_doc)][:n_docs]


def write_web(root: Path, shared_data: Path, langs: list[str], n_docs: int, shards: int = 2) -> Path:
    """``root/language=xx/part-K.parquet`` as ``curate run`` writes them (kept rows only)."""
    for lang in langs:
        texts = docs(shared_data, lang, n_docs)
        d = root / f"language={lang}"
        d.mkdir(parents=True, exist_ok=True)
        for k in range(shards):
            part = texts[k::shards]
            pq.write_table(pa.table({"id": [f"{lang}-{k}-{i}" for i in range(len(part))], "text": part,
                                     "language": [lang] * len(part),
                                     "reject_reason": pa.array([None] * len(part), pa.string())}),
                           d / f"part-{k}.parquet")
    return root


def write_bitext(path: Path, shared_data: Path, pairs: dict[str, str], n: int) -> Path:
    """Bitext-contract rows (src_lang, tgt_lang, text) from FLORES-200 line-aligned sentences."""
    rows: dict[str, list] = {"id": [], "src_lang": [], "tgt_lang": [], "text": [], "reject_reason": []}
    en = (shared_data / "flores200" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    for lang, fname in pairs.items():
        other = (shared_data / "flores200" / fname).read_text(encoding="utf-8").splitlines()
        for i in range(n):
            rows["id"].append(f"en-{lang}-{i}")
            rows["src_lang"].append("en")
            rows["tgt_lang"].append(lang)
            rows["text"].append(f"English text: {en[i]}\n{lang} text: {other[i]}")
            rows["reject_reason"].append(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(rows), path)
    return path
