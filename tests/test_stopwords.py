"""Stop-word lists: present for all 29 languages and matching our own word segmentation."""

from __future__ import annotations

from pathlib import Path

from curation.config import TARGET_LANGUAGES
from filters.stopwords import derive_by_frequency, stopwords
from filters.words import words

NTREX = {"kk": "kaz", "az": "aze-Latn", "ne": "nep"}


def test_every_target_language_has_a_list_with_a_source_line() -> None:
    from filters.stopwords import ASSET_DIR

    for lang in TARGET_LANGUAGES:
        assert len(stopwords(lang)) >= 30, lang
        assert (ASSET_DIR / f"{lang}.txt").read_text(encoding="utf-8").startswith(f"# {lang}: "), lang


def test_lists_are_lower_cased() -> None:
    assert "der" in stopwords("de") and "Der" not in stopwords("de")


def test_unknown_language_has_no_stop_words() -> None:
    assert stopwords("xx") == frozenset()


def test_stop_words_cover_a_real_share_of_running_text_in_every_language(shared_data: Path) -> None:
    for lang in TARGET_LANGUAGES:
        path = shared_data / "sentences" / f"{lang}.txt"
        if lang in NTREX:
            path = shared_data / "ntrex128" / f"newstest2019-ref.{NTREX[lang]}.txt"
        ws = [w.lower() for w in words(path.read_text(encoding="utf-8")[:20000], lang)]
        ratio = sum(w in stopwords(lang) for w in ws) / len(ws)
        # Korean is lowest (~0.07): its particles are glued to the noun, so fewer whole-word hits.
        assert 0.05 < ratio < 0.8, (lang, ratio)


def test_derive_by_frequency_ranks_by_lines_and_needs_both_sources() -> None:
    lines = ["the cat", "the dog", "a cat", "the bird"]
    assert derive_by_frequency(lines, "en", 2) == ["the", "cat"]
    assert derive_by_frequency(lines, "en", 5, min_sources=2, source_of=[0, 0, 1, 1]) == ["the", "cat"]
