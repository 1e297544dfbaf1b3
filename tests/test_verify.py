"""Exact verification's shingle sets (dedup/verify.py)."""

from pathlib import Path

import numpy as np

from dedup.verify import shingle_sets


def _flores(shared_data: Path, name: str, lo: int, hi: int) -> str:
    return "\n".join((shared_data / "flores200" / name).read_text(encoding="utf-8").splitlines()[lo:hi])


def test_identical_texts_get_the_set_each_would_get_alone(shared_data):
    de = _flores(shared_data, "deu_Latn.devtest", 0, 20)
    ja = _flores(shared_data, "jpn_Jpan.devtest", 0, 10)
    together = shingle_sets([de, ja, de, None, de], ["de", "ja", "de", "de", "de"])
    alone = [shingle_sets([t], [lang])[0] for t, lang in [(de, "de"), (ja, "ja"), (de, "de"), (None, "de"), (de, "de")]]
    assert all(np.array_equal(a, b) for a, b in zip(together, alone))
    assert len(together[0]) > 100 and len(together[3]) == 0


def test_the_same_text_under_two_languages_is_shingled_per_language(shared_data):
    # Japanese is shingled by characters and German by words: one text, two different sets.
    ja = _flores(shared_data, "jpn_Jpan.devtest", 0, 10)
    as_ja, as_de = shingle_sets([ja, ja], ["ja", "de"])
    assert np.array_equal(as_ja, shingle_sets([ja], ["ja"])[0])
    assert np.array_equal(as_de, shingle_sets([ja], ["de"])[0])
    assert not np.array_equal(as_ja, as_de)
