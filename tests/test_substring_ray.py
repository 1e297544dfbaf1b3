"""Exact-substring removal on Ray (dedup/ray_substring.py) gives exactly the in-process output
(dedup/substring.py) on one-node embedded Ray: random multi-byte documents with and without
line boundaries, windows published by an earlier run, and real Japanese shop pages."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from dedup.substring import dedup_substrings
from tests.test_substring import WORDS, _clueweb_ja_texts


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def random_docs(seed: int, count: int = 40) -> list[str | None]:
    rng = random.Random(seed)
    docs: list[str | None] = [" ".join(rng.choice([*WORDS, "\n"]) for _ in range(rng.randrange(0, 60)))
                              .replace(" \n ", "\n") for _ in range(count)]
    return [*docs, None, ""]


def every_seventh_hash(hashes: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """A stand-in for SubstringIndex.query that Ray can ship: 1 window in 7 counts as published."""
    return (hashes % np.uint64(7)) == 0


def _same(texts: list[str | None], lang: str, n: int, respect_lines: bool, published=None) -> int:
    from dedup.ray_substring import dedup_substrings_ray

    langs = [lang] * len(texts)
    local = dedup_substrings(texts, langs, n=n, respect_lines=respect_lines, published=published)
    ray_ = dedup_substrings_ray(texts, langs, n=n, respect_lines=respect_lines, published=published)
    assert ray_.texts == local.texts
    assert np.array_equal(ray_.removed_chars, local.removed_chars)
    return int(local.removed_chars.sum())


def test_multibyte_words_across_lines_equal_local(ray_local: None) -> None:
    assert _same(random_docs(1), "en", n=4, respect_lines=False) > 0


def test_multibyte_characters_within_lines_equal_local(ray_local: None) -> None:
    assert _same(random_docs(2), "ja", n=5, respect_lines=True) > 0


def test_published_windows_count_as_earlier_occurrences_on_ray_too(ray_local: None) -> None:
    docs = random_docs(3)
    removed = _same(docs, "en", n=4, respect_lines=False, published=every_seventh_hash)
    assert removed > int(dedup_substrings(docs, ["en"] * len(docs), n=4).removed_chars.sum())


def test_real_japanese_shop_pages_equal_local(ray_local: None, warc_dir: Path) -> None:
    assert _same(_clueweb_ja_texts(warc_dir), "ja", n=50, respect_lines=False) > 1000
