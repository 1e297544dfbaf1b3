"""Exact-substring removal: agrees with a brute-force oracle of its definition (dedup/substring.py),
cuts multi-byte text at exact offsets, and removes shared template text from real pages."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.substring import dedup_substrings, text_windows, tokenize

# Small alphabets make repeats likely; the multi-byte ones exercise UTF-8 offsets.
WORDS = ["a", "b", "é", "日本", "ß", "😀x", "ไทย"]


def oracle_removed(texts: list[str], langs: list[str], n: int, respect_lines: bool) -> list[list[bool]]:
    """Brute force: a token goes when a window holding it equals any earlier window."""
    toks = [tokenize(t, lang) for t, lang in zip(texts, langs)]
    earlier: list[tuple[str, ...]] = []
    masks = []
    for tk in toks:
        m = len(tk.strings)
        mask = [False] * m
        for s in range(m - n + 1):
            if respect_lines and tk.lines[s] != tk.lines[s + n - 1]:
                continue
            w = tuple(tk.strings[s:s + n])
            if w in earlier:
                for i in range(s, s + n):
                    mask[i] = True
            earlier.append(w)
        masks.append(mask)
    return masks


def kept_tokens(text: str, lang: str, mask: list[bool]) -> list[str]:
    return [t for t, gone in zip(tokenize(text, lang).strings, mask) if not gone]


doc_text = st.lists(st.sampled_from(WORDS + ["\n"]), min_size=0, max_size=40).map(
    lambda ws: " ".join(ws).replace(" \n ", "\n"))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(doc_text, min_size=1, max_size=5), n=st.integers(2, 5), respect_lines=st.booleans(),
       lang=st.sampled_from(["en", "ja"]))
def test_removal_matches_brute_force_oracle(texts: list[str], n: int, respect_lines: bool, lang: str) -> None:
    langs = [lang] * len(texts)
    result = dedup_substrings(texts, langs, n=n, respect_lines=respect_lines)
    for text, new, mask in zip(texts, result.texts, oracle_removed(texts, langs, n, respect_lines)):
        assert tokenize(new, lang).strings == kept_tokens(text, lang, mask)


def test_first_occurrence_is_kept_and_later_copy_removed() -> None:
    shared = " ".join(f"wort{i}" for i in range(60))
    first = f"Kopf eins\n{shared}\nEnde eins"
    second = f"Kopf zwei\n{shared} mehr\nEnde zwei"
    out = dedup_substrings([first, second], ["de", "de"], n=50).texts
    assert out == [first, "Kopf zwei\nmehr\nEnde zwei"]


def test_multibyte_offsets_are_exact() -> None:
    shared = "".join(chr(0x4E00 + 7 * i) for i in range(80))  # 80 distinct kanji, 240 UTF-8 bytes
    first = f"前文😀{shared}"
    second = f"別の😀😀前置き{shared}。後書き"
    out = dedup_substrings([first, second], ["ja", "ja"], n=50).texts
    assert out[0] == first
    assert out[1] == "別の😀😀前置き。後書き"


def test_short_documents_and_unique_text_are_untouched() -> None:
    texts = ["one two three", "four five six", ""]
    out = dedup_substrings(texts, ["en"] * 3, n=2)
    assert out.texts == texts
    assert np.array_equal(out.removed_chars, [0, 0, 0])


def test_hash_partitions_give_the_same_result() -> None:
    texts = [" ".join(["a", "b", "c", "d"] * 5), " ".join(["b", "c", "d", "a"] * 6), "x y a b c d"]
    one = dedup_substrings(texts, ["en"] * 3, n=3).texts
    assert dedup_substrings(texts, ["en"] * 3, n=3, hash_partitions=4).texts == one


def _clueweb_ja_texts(warc_dir: Path) -> list[str]:
    from curation.config import ExtractConfig, ReadConfig
    from curation.io.warc import read_unit
    from filters.extract import ExtractStage

    records = pa.concat_tables(list(read_unit(str(warc_dir / "clueweb09-ja-excerpt.warc.gz"), "u", ReadConfig())))
    stage = ExtractStage(ExtractConfig(favor_precision=False, favor_recall=True))  # page bodies as well
    try:
        texts = stage(records).column("text").to_pylist()
    finally:
        stage.teardown()
    return [t for t in texts if t]


def test_shop_template_is_removed_from_real_japanese_pages_and_content_stays(warc_dir: Path) -> None:
    texts = _clueweb_ja_texts(warc_dir)
    assert len(texts) == 29
    line_docs = Counter(line for t in texts for line in set(t.splitlines()) if line.strip())
    template = {line for line, n in line_docs.items() if n >= 10}  # the shop's ranking table
    unique = [[line for line in t.splitlines() if line_docs.get(line) == 1] for t in texts]
    assert len(template) >= 15 and sum(map(len, unique)) >= 30

    out = dedup_substrings(texts, ["ja"] * len(texts), n=50).texts
    with_template = [i for i, t in enumerate(texts) if template <= set(t.splitlines())]
    assert len(with_template) >= 10
    assert out[with_template[0]] == texts[with_template[0]]  # the first occurrence stays whole
    for i in with_template[1:]:
        assert not template & set(out[i].splitlines()), i  # later copies of the table are gone
    # Lines only one page has stay whole, except where a 50+ character run of them also occurs
    # earlier (one product blurb shares its last words and the next line with another page).
    own_chars = sum(len(line) for lines in unique for line in lines)
    kept_chars = sum(len(line) for lines, after in zip(unique, out) for line in lines if line in after.splitlines())
    assert kept_chars >= 0.9 * own_chars
    assert all(len(after) <= len(before) for before, after in zip(texts, out))


def _regex_tokens(text: str, lang: str) -> tuple[list[int], list[int], list[int], list[str]]:
    """The definition: \\S+ (words) or \\S (zh/ja/th); line = newlines before the token."""
    pattern = r"\S" if lang in ("zh", "ja", "th") else r"\S+"
    ms = list(re.finditer(pattern, text))
    return ([m.start() for m in ms], [m.end() for m in ms], [text.count("\n", 0, m.start()) for m in ms],
            [m.group() for m in ms])


@pytest.mark.parametrize("code,lang", [("deu_Latn", "de"), ("jpn_Jpan", "ja"), ("tha_Thai", "th"),
                                       ("zho_Hans", "zh"), ("ben_Beng", "bn")])
def test_tokenize_matches_the_regex_definition_on_flores(shared_data: Path, code: str, lang: str) -> None:
    lines = (shared_data / "flores200" / f"{code}.devtest").read_text(encoding="utf-8").splitlines()[:200]
    # Whitespace of every kind \s knows (NBSP, ideographic space, line separator, ...) between lines.
    gaps = ("\n", "\u00a0", "\u3000 ", "\u2028", "\t\r\n", "\x1c")
    text = "".join(line + gaps[i % len(gaps)] for i, line in enumerate(lines))
    tok = tokenize(text, lang)
    starts, ends, line_no, strings = _regex_tokens(text, lang)
    assert tok.strings == strings
    assert tok.starts.tolist() == starts
    assert tok.ends.tolist() == ends
    assert tok.lines.tolist() == line_no


def test_tokenize_keeps_python_offsets_for_astral_characters_and_lone_surrogates() -> None:
    text = "😀a b\ud800c\n  日本"
    tok = tokenize(text, "en")
    assert tok.strings == ["😀a", "b\ud800c", "日本"]
    assert [text[s:e] for s, e in zip(tok.starts, tok.ends)] == tok.strings
    assert tok.lines.tolist() == [0, 0, 1]
    assert tokenize("", "ja").strings == [] and len(tokenize(" \n ", "en").starts) == 0


def test_final_windows_are_the_windows_of_the_new_texts() -> None:
    texts = ["one two three four five six", "zero one two three four five seven", "eight nine ten eleven"]
    res = dedup_substrings(texts, ["en"] * 3, n=3, final_windows=True)
    assert res.removed_chars.tolist()[1] > 0  # the second text lost its copy of the first's words
    hashes, doc = text_windows(res.texts, ["en"] * 3, n=3)
    assert res.windows is not None
    for d, got in enumerate(res.windows):
        assert got.tolist() == hashes[doc == d].tolist()
