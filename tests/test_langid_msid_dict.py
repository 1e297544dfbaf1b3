"""Malay vs Indonesian: Malay-only dictionary words (filters/langid_msid_dict.py)."""

import math
import zipfile
from pathlib import Path

import pytest

from curation.assets import asset_dir
from filters.langid_msid import combine
from filters.langid_msid_dict import (
    DICT_NAME,
    MALAYA_LISTS,
    MALAYA_VERSION,
    SASTRAWI_ROOTS,
    SASTRAWI_VERSION,
    build_list,
    literal_words,
    malay_only,
    read_list,
    root_words,
    vote,
)

SOURCES = asset_dir("langid") / "_sources"
MALAYA = SOURCES / f"malaya-{MALAYA_VERSION}-py3-none-any.whl"
SASTRAWI = SOURCES / f"Sastrawi-{SASTRAWI_VERSION}-py2.py3-none-any.whl"


def real(wheel: Path, member: str) -> str:
    """A file of a wheel that set-up downloaded (scripts/setup.d/30-langid.sh keeps them)."""
    if not wheel.exists():
        pytest.fail(f"{wheel.name} not downloaded: run scripts/setup.d/30-langid.sh")
    with zipfile.ZipFile(wheel) as z:
        return z.read(member).decode("utf-8")


def test_kamus_dewan_list_from_the_real_malaya_wheel_is_read_without_running_it():
    found = literal_words(real(MALAYA, MALAYA_LISTS[0]), MALAYA_LISTS[0])
    assert len(found) == 57632
    assert {"kerana", "wang", "canselor", "jurucakap"} <= found
    assert "karena" not in found and "uang" not in found


def test_sastrawi_roots_from_the_real_wheel_are_indonesian():
    roots = root_words(real(SASTRAWI, SASTRAWI_ROOTS))
    assert len(roots) == 29932
    assert {"karena", "uang", "kantor"} <= roots
    assert "kerana" not in roots


def test_source_that_is_not_a_literal_word_list_is_a_clear_error():
    with pytest.raises(ValueError, match="not a literal word list"):
        literal_words("words = set(open('x'))", "bad.py")
    with pytest.raises(ValueError, match="no word-list assignment"):
        literal_words("import os\n", "empty.py")
    with pytest.raises(ValueError, match="collection of strings"):
        literal_words("words = {1, 2}", "numbers.py")


def test_malay_only_drops_indonesian_known_words_and_reduplications_of_them():
    malay = {"kerana", "karena", "orang-orang", "kanak-kanak", "jurucakap", "abc1"}
    indonesian = {"karena", "orang", "anak"}
    assert malay_only(malay, indonesian) == {"kerana", "kanak-kanak", "jurucakap"}


def test_list_from_wheels_has_provenance_header_and_round_trips(tmp_path: Path):
    malaya = tmp_path / "malaya.whl"
    sastrawi = tmp_path / "sastrawi.whl"
    own = ("peratus", "jurucakap", "canselor", "kualiti")
    with zipfile.ZipFile(malaya, "w") as z:
        for name, word in zip(MALAYA_LISTS, own):
            z.writestr(name, f"words = {{'kerana', 'Dan', '{word}'}}\n")
    with zipfile.ZipFile(sastrawi, "w") as z:
        z.writestr(SASTRAWI_ROOTS, "dan\nkarena\n")
    out = tmp_path / "ms_only.txt"
    assert build_list(malaya, sastrawi, ["peratus"], out) == 4  # peratus: in the Indonesian frequency list
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert "MIT" in header and MALAYA_VERSION in header and SASTRAWI_VERSION in header
    assert read_list(out) == {"kerana", "jurucakap", "canselor", "kualiti"}


def test_vote_counts_distinct_malay_only_words():
    ms_only = frozenset({"jurucakap", "peratus"})
    assert vote(ms_only, "Jurucakap itu berkata 10 peratus, peratus!") == 2
    assert vote(ms_only, "Juru bicara itu berkata 10 persen.") == 0


def test_combine_adds_the_dictionary_weight_per_word():
    ms, ind = combine(0.5, 0.5, 0, freq=0.0, dict_vote=2, dict_weight=1.5)
    assert ms == pytest.approx(1 / (1 + math.exp(-3.0))) and ms + ind == pytest.approx(1.0)


def test_built_list_is_malaysian_vocabulary_not_indonesian():
    path = asset_dir("langid") / DICT_NAME
    if not path.exists():
        pytest.fail("Malay-only word list not built: run scripts/setup.d/30-langid.sh")
    built = read_list(path)
    assert 30_000 < len(built) < 40_000
    assert {"jurucakap", "pentadbiran", "peratus", "canselor", "kualiti", "setiausaha"} <= built
    assert not {"karena", "uang", "juru", "bicara", "persen", "orang-orang", "kantor"} & built
    # kerana is Malaysian, but wordfreq's Indonesian list has it too: left to the marker words
    assert "kerana" not in built
