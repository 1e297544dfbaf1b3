"""Document perplexity = 10^(-sum log10 P / sum tokens) over lines, tokens incl. one </s> per line
(CCNet's DocLM), checked against a hand computation from the ARPA file lmplz wrote."""

import math
from pathlib import Path

import pytest

from filters.lm_model import LanguageModel, perplexity
from filters.lm_train import train_lm


def parse_arpa(path: Path) -> dict[tuple[str, ...], tuple[float, float]]:
    """n-gram -> (log10 prob, log10 backoff) from a text ARPA file."""
    grams: dict[tuple[str, ...], tuple[float, float]] = {}
    order = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("\\") and raw.endswith("-grams:"):
            order = int(raw[1:raw.index("-")])
            continue
        if order == 0 or not raw.strip() or raw.startswith("\\"):
            continue
        parts = raw.split("\t")
        words = tuple(parts[1].split(" "))
        assert len(words) == order
        grams[words] = (float(parts[0]), float(parts[2]) if len(parts) > 2 else 0.0)
    return grams


def bigram_log10(grams: dict, tokens: list[str]) -> float:
    """Σ log10 P(w | previous) for <s> tokens </s>, with Katz-style back-off as ARPA defines it."""
    total, prev = 0.0, "<s>"
    for w in tokens + ["</s>"]:
        if (prev, w) in grams:
            total += grams[(prev, w)][0]
        else:
            total += grams.get((prev,), (0.0, 0.0))[1] + grams.get((w,), grams[("<unk>",)])[0]
        prev = w
    return total


@pytest.fixture(scope="module")
def tiny_bigram(tmp_path_factory, shared_data):
    lines = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[:120]
    out = tmp_path_factory.mktemp("tiny-lm")
    train_lm("en", lines, out, order=2, vocab_size=300, memory="64M", keep_arpa=True)
    return out, lines


def test_perplexity_of_hand_values():
    assert perplexity(-6.0, 3) == 100.0
    assert perplexity(-2.5, 5) == round(10 ** 0.5, 1)
    with pytest.raises(ValueError):
        perplexity(0.0, 0)


def test_line_score_matches_the_arpa_by_hand(tiny_bigram):
    out, lines = tiny_bigram
    lm = LanguageModel(out, "en")
    grams = parse_arpa(out / "en.arpa")
    pieces = lm.tokenize(lines[3]).split()
    score = lm.score_line(lines[3])
    assert score.n_tokens == len(pieces) + 1
    assert score.log10_prob == pytest.approx(bigram_log10(grams, pieces), abs=1e-4)


def test_document_perplexity_sums_over_lines_with_one_eos_each(tiny_bigram):
    out, lines = tiny_bigram
    lm = LanguageModel(out, "en")
    grams = parse_arpa(out / "en.arpa")
    doc_lines = [lines[0], lines[7], "An unseen line about zebras 42."]
    logp = tokens = 0.0
    for line in doc_lines:
        pieces = lm.tokenize(line).split()
        logp += bigram_log10(grams, pieces)
        tokens += len(pieces) + 1
    expected = round(10 ** (-logp / tokens), 1)
    got = lm.document_perplexity("\n".join(doc_lines))
    assert got == pytest.approx(expected, rel=1e-4)
    # Not the mean of line perplexities: lines weigh by their token counts.
    per_line = [lm.document_perplexity(x) for x in doc_lines]
    assert not math.isclose(got, sum(per_line) / 3, rel_tol=1e-3)


def test_training_text_scores_lower_than_shuffled_words(tiny_bigram):
    out, lines = tiny_bigram
    lm = LanguageModel(out, "en")
    words = lines[5].split()
    assert lm.document_perplexity(lines[5]) < lm.document_perplexity(" ".join(reversed(words)))
