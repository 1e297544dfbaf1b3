"""Word blocklists: which languages have one, where it came from, and that it matches."""

from pathlib import Path

import pytest

from curation.config import TARGET_LANGUAGES
from filters.signals_blockwords import ASSET_DIR, blockword_hits
from filters.words import words

NO_LIST = {"he", "ur", "kk", "az"}  # SOURCES.md: no licensed list found on PyPI or npm
ADDED = ("bn", "el", "id", "ms", "ne", "ro", "uk", "vi")


def hits(text: str, lang: str) -> int:
    return blockword_hits(text, [w.lower() for w in words(text, lang)], lang)


def test_every_language_has_a_list_or_is_documented_without_one():
    have = {p.stem for p in ASSET_DIR.glob("*.txt")}
    assert have == set(TARGET_LANGUAGES) - NO_LIST
    sources = (ASSET_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert "| he ur kk az (4) | no list" in sources


@pytest.mark.parametrize("lang", ADDED)
def test_added_list_names_its_package_and_licence_in_its_header(lang):
    header = (ASSET_DIR / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(f"# {lang}: ") and "(MIT" in header


@pytest.mark.parametrize("lang, text", [
    ("id", "Dasar bajingan, pergi dari sini!"),
    ("ms", "Jangan jadi bajingan di sini."),
    ("ro", "Site cu pornografie gratuită."),
    ("el", "Τι σκατά είναι αυτά;"),
    ("vi", "Đồ con điếm!"),
])
def test_a_listed_word_is_counted(lang, text):
    assert hits(text, lang) >= 1


@pytest.mark.parametrize("lang", [lang for lang in ADDED if lang != "ne"])
def test_clean_web_sentences_almost_never_hit(shared_data: Path, lang):
    """lingua's 1,000 web sentences per language: measured 0 hits, 1 in Malay (merangkap)."""
    text = (shared_data / "sentences" / f"{lang}.txt").read_text(encoding="utf-8")
    n_words = len(words(text, lang))
    assert hits(text, lang) <= 2 and n_words > 10000


def test_clean_nepali_news_stays_far_below_the_one_per_hundred_bound(shared_data: Path):
    """FLORES Nepali (no lingua sentences for ne): 6 hits in ~19,000 words (bhalu = bear)."""
    text = (shared_data / "flores200" / "npi_Deva.devtest").read_text(encoding="utf-8")
    assert hits(text, "ne") / len(words(text, "ne")) < 0.001
