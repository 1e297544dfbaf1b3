"""MinHash signatures: datasketch interop (same permutations, same arithmetic, same Jaccard
estimates through LeanMinHash), normalisation, shingling, banding, and the pipeline stage."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from datasketch import LeanMinHash, MinHash

from curation import schema
from curation.config import MinHashConfig
from dedup.minhash import MinHasher, band_keys, lsh_params
from dedup.normalize import normalize
from dedup.shingles import batch_shingle_hashes
from dedup.stage import SIGNATURE, MinHashStage, signature_matrix


def _flores(shared_data: Path, name: str, lo: int, hi: int) -> str:
    return "\n".join((shared_data / "flores200" / name).read_text(encoding="utf-8").splitlines()[lo:hi])


@pytest.mark.parametrize("scheme", ["legacy", "affine64"])
def test_signatures_equal_datasketch_and_leanminhash_gives_same_jaccard(shared_data: Path, scheme: str) -> None:
    texts = [_flores(shared_data, "deu_Latn.devtest", 0, 30), _flores(shared_data, "deu_Latn.devtest", 10, 40),
             _flores(shared_data, "jpn_Jpan.devtest", 0, 20)]
    langs = ["de", "de", "ja"]
    hasher = MinHasher(num_perm=128, seed=42, scheme=scheme)
    hashes, offsets = batch_shingle_hashes([normalize(t) for t in texts], langs)
    ours = hasher.from_hashes(hashes, offsets)
    theirs = []
    for d in range(len(texts)):
        m = MinHash(num_perm=128, seed=42, scheme=scheme, hashfunc=int)
        m.update_batch([int(h) for h in hashes[offsets[d]:offsets[d + 1]]])
        theirs.append(m)
        assert np.array_equal(m.hashvalues, ours[d])
    lean = [LeanMinHash(seed=42, hashvalues=ours[d], scheme=scheme) for d in range(len(texts))]
    assert lean[0].jaccard(lean[1]) == theirs[0].jaccard(theirs[1])
    assert 0.35 < lean[0].jaccard(lean[1]) < 0.65  # 20 shared lines of 40: true Jaccard ~0.5
    assert lean[0].jaccard(lean[2]) < 0.05


def test_normalisation_folds_case_accents_digits_and_punctuation() -> None:
    assert normalize("Ça VA, très bien!! 2024 — «ok»") == "ca va tres bien 0000 ok"
    assert normalize("line one\n\n  line   two ") == "line one\nline two"


def test_normalisation_table_over_its_planes_equals_the_table_over_all_of_unicode() -> None:
    from dedup.normalize import _table

    assert _table() == _table((range(sys.maxunicode + 1),))


def test_batch_normalisation_equals_the_one_text_reference_on_every_code_point_and_real_text(shared_data) -> None:
    """``normalize_many`` (Arrow RE2 kernels) must give exactly ``normalize``'s text, or
    signatures and the cross-run index would change with the code path."""
    from dedup.normalize import PLANES, normalize_many

    every = "".join(chr(cp) for r in PLANES for cp in r if not 0xD800 <= cp <= 0xDFFF)  # no lone surrogates in Arrow
    texts: list[str | None] = [every[i:i + 4000] for i in range(0, len(every), 4000)]
    texts += [" \u1680a\u2028\n\u2029 b \n\n", "a \u1680 b\u3000\u3000c\t\td", "", None, "\n \n"]
    for lang in ("ar", "de", "el", "he", "ja", "ko", "ru", "th", "vi", "zh"):
        lines = (shared_data / "sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:200]
        texts += ["\n".join(lines[i:i + 10]) for i in range(0, len(lines), 10)]
    assert normalize_many(texts) == [normalize(t or "") for t in texts]


def test_batch_normalisation_of_a_text_with_a_lone_surrogate_falls_back_to_the_reference() -> None:
    from dedup.normalize import normalize_many

    texts = ["Ça VA,\ud800 très", "B\u00e9b\u00e9 2024"]
    assert normalize_many(texts) == [normalize(t) for t in texts] == ["ca va \ud800 tres", "bebe 0000"]


def test_equivalent_texts_have_identical_signatures() -> None:
    hasher = MinHasher()
    a, b = hasher.signatures(["Élan vital, 1907: Bergson's book!", "elan VITAL 1908 bergson s book"], ["fr", "fr"])
    assert np.array_equal(a, b)


def test_short_and_empty_documents() -> None:
    hashes, offsets = batch_shingle_hashes(["a b c d e f", "a b", ""], ["en"] * 3, n=5)
    assert offsets.tolist() == [0, 2, 3, 3]  # two 5-grams; one shingle of all words; none
    sig = MinHasher(num_perm=16).from_hashes(hashes, offsets)
    assert (sig[2] == np.uint64(2**32 - 1)).all()  # datasketch's empty legacy MinHash


def test_character_shingles_for_japanese_ignore_spaces() -> None:
    h1, _ = batch_shingle_hashes(["東京都 の天気"], ["ja"], n=3)
    h2, _ = batch_shingle_hashes(["東京都の 天気"], ["ja"], n=3)
    assert np.array_equal(h1, h2) and len(h1) == 4


def test_band_parameters() -> None:
    assert lsh_params(0.8, 112) == (9, 12)  # datasketch's optimiser (equal FP/FN weights)
    sig = np.arange(2 * 112, dtype=np.uint64).reshape(2, 112)
    sig[1, :8] = sig[0, :8]
    keys = band_keys(sig, 14, 8)
    assert keys.shape == (2, 14) and keys[0, 0] == keys[1, 0] and (keys[0, 1:] != keys[1, 1:]).all()
    with pytest.raises(ValueError, match="need 120 permutations"):
        band_keys(sig, 15, 8)


def test_stage_adds_signatures_to_kept_rows_only() -> None:
    rows = [{"id": "a", "source": "s", "text": "one two three four five six", "language": "en",
             schema.UNIT_ID: "u", schema.RECORD_INDEX: 0},
            {"id": "b", "source": "s", "text": "x", "language": "en", "reject_reason": "http_status",
             schema.UNIT_ID: "u", schema.RECORD_INDEX: 1}]
    out = MinHashStage(MinHashConfig(num_perm=32, bands=4, rows=8))(schema.from_rows(rows))
    col = out.column(SIGNATURE)
    assert col.type == pa.list_(pa.uint64())
    assert col.null_count == 1 and col[1].as_py() is None
    assert np.array_equal(signature_matrix(col.slice(0, 1), 32)[0],
                          MinHasher(num_perm=32).signatures(["one two three four five six"], ["en"])[0])


def test_compiled_kernels_equal_their_numpy_twins(shared_data: Path) -> None:
    from dedup.shingles import ngram_hashes, ngram_hashes_numpy, token_hashes

    texts = [_flores(shared_data, "fra_Latn.devtest", i, i + 7) for i in range(0, 70, 7)] + ["", "un deux"]
    tokens = [token_hashes(normalize(t), "fr") for t in texts]
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in tokens])])
    flat = np.concatenate(tokens)
    for n in (1, 3, 5):
        fast, ref = ngram_hashes(flat, offsets, n), ngram_hashes_numpy(flat, offsets, n)
        assert np.array_equal(fast[0], ref[0]) and np.array_equal(fast[1], ref[1])
    hashes, offs = ngram_hashes(flat, offsets, 5)
    for scheme in ("legacy", "affine64"):
        hasher = MinHasher(num_perm=64, seed=3, scheme=scheme)
        assert np.array_equal(hasher.from_hashes(hashes, offs), hasher.from_hashes_numpy(hashes, offs))
