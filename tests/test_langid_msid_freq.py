"""Malay vs Indonesian: word-frequency evidence from the wordfreq lists (filters/langid_msid_freq.py)."""

import gzip
import math
import zipfile
from pathlib import Path

import msgpack
import pytest

from curation.assets import asset_dir
from filters import langid_msid_train
from filters.langid import LanguageIdentifier
from filters.langid_msid import FREQ_NAME, combine, load_markers
from filters.langid_msid_freq import LISTS, FreqTable, build_table, read_cb, read_table

LN10 = math.log(10)


def cb_list(bins: dict[int, list[str]]) -> bytes:
    """A wordfreq cB list: bin i holds the words of frequency 10^(-i/100)."""
    data: list = [{"format": "cB", "version": 1}] + [bins.get(i, []) for i in range(1, max(bins) + 1)]
    return gzip.compress(msgpack.packb(data))


@pytest.fixture(scope="module")
def built() -> FreqTable:
    path = asset_dir("langid") / FREQ_NAME
    if not path.exists():
        pytest.fail("ms/id wordfreq table not built: run scripts/setup.d/30-langid.sh")
    return read_table(path)


def test_cb_bins_become_natural_log_frequencies():
    freqs = read_cb(cb_list({100: ["dan"], 300: ["kerana", "wang"]}))
    assert freqs == {"dan": pytest.approx(-LN10), "kerana": pytest.approx(-3 * LN10), "wang": pytest.approx(-3 * LN10)}


def test_a_file_that_is_not_a_cb_list_is_a_clear_error():
    with pytest.raises(ValueError, match="not a wordfreq cB list"):
        read_cb(gzip.compress(msgpack.packb([["dan"]])))


def test_table_from_a_wheel_keeps_both_sides_and_states_licence(tmp_path: Path):
    wheel = tmp_path / "wordfreq-3.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(LISTS["ms"], cb_list({100: ["dan"], 300: ["kerana"]}))
        z.writestr(LISTS["id"], cb_list({100: ["dan"], 300: ["karena"]}))
    out = tmp_path / "t.tsv"
    assert build_table(wheel, out) == 3
    assert "CC-BY-SA 4.0" in out.read_text(encoding="utf-8").splitlines()[0]
    table = read_table(out)
    assert table.malay == {"dan": pytest.approx(-LN10, abs=1e-4), "kerana": pytest.approx(-3 * LN10, abs=1e-4)}
    assert set(table.indonesian) == {"dan", "karena"}


def test_table_with_a_bad_line_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "t.tsv"
    bad.write_text("kerana\t-7.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected 'word"):
        read_table(bad)


def test_score_sums_clipped_log_ratios_over_distinct_words():
    table = FreqTable({"dan": -3.0, "boleh": -5.0, "kerana": -6.0, "x": -20.0},
                      {"dan": -3.0, "boleh": -6.0, "karena": -6.0, "x": -20.0})
    assert table.score("dan dan") == 0.0                      # shared word, same frequency
    assert table.score("boleh boleh") == pytest.approx(1.0)   # counted once
    # kerana: absent from the id list -> 2 nats below its floor (-20): -6 - (-22) = 16, clipped to 6
    assert table.score("kerana") == pytest.approx(6.0)
    assert table.score("karena") == pytest.approx(-6.0)
    assert table.score("Tokyo") == 0.0                        # in neither list
    assert table.score("kerana boleh", clip=100.0) == pytest.approx(17.0)


def test_combine_adds_weighted_frequency_evidence():
    ms, ind = combine(0.5, 0.5, 0, freq=1.0, freq_weight=2.0)
    assert ms == pytest.approx(1 / (1 + math.exp(-2.0))) and ms + ind == pytest.approx(1.0)


def test_built_table_separates_spelling_and_word_choices(built):
    assert built.score("kerana") > 3 and built.score("karena") < -3
    assert built.score("bahawa") > 3 and built.score("bahwa") < -3
    assert abs(built.score("yang")) < 1  # the commonest shared word
    assert len(built.malay) > 20000 and len(built.indonesian) > 20000


def test_wordfreq_evidence_raises_held_out_accuracy(built, shared_data):
    """Held-out NTREX + Tatoeba (never FLORES): mean of the four accuracies 0.894 -> 0.927 measured."""
    lid = LanguageIdentifier()
    assert lid._freq is not None
    before = langid_msid_train.dev_accuracy(lid._msid, load_markers(), shared_data)
    after = langid_msid_train.dev_accuracy(lid._msid, load_markers(), shared_data, built)
    assert sum(after.values()) / 4 >= sum(before.values()) / 4 + 0.02, (before, after)
    assert after["ntrex_ms"] >= 0.95 and after["ntrex_id"] >= 0.95, after


@pytest.mark.parametrize("line", ["Dia seorang yang degil.", "Saya balik awal setiap hari.",
                                  "Penganalisis memberikan garis masa malam wanita dibakar hidup-hidup"])
def test_held_out_malay_lines_without_malay_markers_become_malay(built, line):
    # Held-out Tatoeba/NTREX lines (never trained on) that markers alone left Indonesian.
    lid = LanguageIdentifier()
    assert lid._markers is not None and lid._markers.vote(line) <= 0
    assert built.score(line) > 1
    assert lid.predict(line).language == "ms"
