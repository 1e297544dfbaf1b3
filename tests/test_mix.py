"""``curate mix``: Marco's Table 2 shares, Table 1's utilisation, epochs and the repetition cap."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from curation.cli import main
from curation.mixture import CATEGORIES, MixConfig, Source, plan_mixture

TABLE2 = {
    "stage1": [0.32, 0.17, 0.30, 0.09, 0.06, 0.05, 0.01],
    "stage2": [0.28, 0.15, 0.26, 0.15, 0.08, 0.06, 0.02],
}
# Table 1 of Marco-LLM: pool size and used tokens (billions), as printed.
TABLE1 = {
    "en": (1459.7, 90.4), "zh": (214.7, 48.2), "ar": (45.8, 10.6), "de": (442.8, 10.6), "es": (397.8, 10.6),
    "fr": (320.8, 10.6), "ko": (41.8, 10.6), "ja": (224.2, 10.6), "pt": (145.3, 10.6), "tr": (80.6, 10.6),
    "bn": (6.5, 1.9), "he": (11.3, 1.9), "id": (23.8, 1.9), "it": (56.3, 1.9), "ms": (2.9, 1.9), "nl": (31.3, 1.9),
    "pl": (45.3, 1.9), "ru": (251.0, 1.9), "th": (8.3, 1.9), "uk": (18.4, 1.9), "ur": (8.7, 1.9), "vi": (24.4, 1.9),
    "cs": (270.2, 1.9), "el": (376.8, 1.9), "hu": (214.4, 1.9), "kk": (16.8, 1.9), "ro": (160.0, 1.9),
    "az": (19.4, 1.9), "ne": (22.6, 1.9),
}
TABLE1_OTHER = {"parallel": (103.0, 20.8), "knowledge": (65.0, 16.4), "synthetic": (6.0, 4.4)}
TITLES = {"parallel": "parallel multilingual", "knowledge": "high-quality knowledge", "synthetic": "synthetic"}


def _table1_sources() -> list[Source]:
    out = [Source("web", lang, int(total * 1e9)) for lang, (total, _) in TABLE1.items()]
    out += [Source(cat, "all", int(total * 1e9)) for cat, (total, _) in TABLE1_OTHER.items()]
    return out


def _write_table1_csv(path: Path) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["category", "language", "tokens"])
        for s in _table1_sources():
            w.writerow([s.category, s.language, s.tokens])
    return path


def test_default_stages_are_marco_tables_2_and_3() -> None:
    stages = MixConfig().stages
    assert [(s.name, s.tokens, s.peak_lr) for s in stages] == [("stage1", 160e9, 1e-5), ("stage2", 140e9, 6e-6)]
    for s in stages:
        assert [s.shares[c] for c in CATEGORIES] == TABLE2[s.name]


def test_plan_category_shares_reproduce_table_2() -> None:
    plan = plan_mixture(_table1_sources())
    for stage in plan["stages"]:
        assert [stage["category_shares"][c] for c in CATEGORIES] == pytest.approx(TABLE2[stage["name"]], abs=1e-12)
        by_cat: dict[str, float] = {}
        for d in stage["datasets"]:
            by_cat[d["category"]] = by_cat.get(d["category"], 0.0) + d["weight"]
        assert [by_cat[c] for c in CATEGORIES] == pytest.approx(TABLE2[stage["name"]], abs=1e-12)


def test_utilisation_table_reproduces_table_1_on_its_pool() -> None:
    plan = plan_mixture(_table1_sources())
    rows = {r["source"]: r for r in plan["utilisation"]}
    # Exact arithmetic of Table 2 x Table 3: other high-resource = (48 + 36.4) / 8, low-resource = 35.4 / 19.
    exact = {"en": 90.4, "zh": 48.2, "de": 84.4 / 8, "ms": 35.4 / 19, "parallel multilingual": 20.8,
             "high-quality knowledge": 16.4, "synthetic": 4.4, "total": 300.0}
    for key, used in exact.items():
        assert rows[key]["used_tokens"] / 1e9 == pytest.approx(used, rel=1e-9)
    for lang, (total, used) in TABLE1.items():
        assert rows[lang]["total_tokens"] == int(total * 1e9)
        assert abs(rows[lang]["used_tokens"] / 1e9 - used) <= 0.05 + 1e-9  # the paper prints one decimal
        assert rows[lang]["utilisation"] == pytest.approx(rows[lang]["used_tokens"] / rows[lang]["total_tokens"])
    for cat, (_total, used) in TABLE1_OTHER.items():
        assert rows[TITLES[cat]]["used_tokens"] / 1e9 == pytest.approx(used)
    assert rows["en"]["utilisation"] == pytest.approx(90.4 / 1459.7)  # 6.2% in the paper
    assert rows["total"]["utilisation"] == pytest.approx(300.0 / 5115.9, rel=1e-4)  # 5.9%
    assert plan["warnings"] == []


def test_epochs_are_tokens_drawn_over_tokens_available_per_stage() -> None:
    plan = plan_mixture(_table1_sources())
    s1 = {d["name"]: d for d in plan["stages"][0]["datasets"]}
    assert s1["web/zh"]["tokens"] == pytest.approx(0.17 * 160e9)
    assert s1["web/zh"]["epochs"] == pytest.approx(0.17 * 160e9 / 214.7e9)
    src = {r["name"]: r for r in plan["sources"]}
    assert src["web/ms"]["epochs"] == pytest.approx((0.09 * 160 + 0.15 * 140) / 19 / 2.9)


def test_a_source_past_the_repetition_cap_is_named_in_a_warning() -> None:
    plan = plan_mixture(_table1_sources(), MixConfig(repetition_cap=0.5))
    assert [w.split(" ")[0] for w in plan["warnings"]] == ["web/ms", "synthetic/all"]
    assert plan["warnings"][0].startswith("web/ms would be repeated 0.64 epochs, past the cap of 0.5")


def test_strict_mode_fails_on_repetition_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _write_table1_csv(tmp_path / "counts.csv")
    code = main(["mix", "--counts", str(counts), "--output", str(tmp_path / "o"), "--repetition-cap", "0.5",
                 "--strict"])
    assert code == 1
    assert capsys.readouterr().err.startswith("curate: error: web/ms would be repeated 0.64 epochs")
    assert not (tmp_path / "o" / "mixture_plan.json").exists()


def test_language_groups_can_be_overridden() -> None:
    hr = ["en", "zh", "ar", "de", "es", "fr", "ko", "ja", "pt", "tr", "ru"]
    lr = [x for x in MixConfig().low_resource if x != "ru"]
    plan = plan_mixture(_table1_sources(), MixConfig(high_resource=hr, low_resource=lr))
    src = {r["name"]: r for r in plan["sources"]}
    assert src["web/ru"]["category"] == "high_resource"
    assert src["web/ru"]["used_tokens"] == pytest.approx(84.4e9 / 9)
    assert src["web/ms"]["used_tokens"] == pytest.approx(35.4e9 / 18)


def test_proportional_split_follows_token_counts_within_a_group() -> None:
    plan = plan_mixture(_table1_sources(), MixConfig(within_group="proportional"))
    src = {r["name"]: r for r in plan["sources"]}
    hr_total = sum(TABLE1[x][0] for x in ["ar", "de", "es", "fr", "ko", "ja", "pt", "tr"])
    assert src["web/de"]["used_tokens"] / 1e9 == pytest.approx(84.4 * 442.8 / hr_total, rel=1e-6)


def test_a_category_without_data_is_spread_over_the_others_with_a_warning() -> None:
    sources = [s for s in _table1_sources() if s.category != "synthetic"]
    plan = plan_mixture(sources)
    s1 = plan["stages"][0]
    assert s1["category_shares"]["synthetic"] == 0.0
    assert s1["category_shares"]["english"] == pytest.approx(0.32 / 0.99)
    assert plan["warnings"][0] == ("stage1: category synthetic (1%) has no data; "
                                   "its share is spread over the others in proportion")


def test_cli_writes_the_plan_and_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _write_table1_csv(tmp_path / "counts.csv")
    assert main(["mix", "--counts", str(counts), "--output", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["source", "total", "used", "utilisation"]
    assert out[1].split() == ["en", "1,459.7B", "90.4B", "6.2%"]
    assert out[-1].split() == ["total", "5,115.9B", "300.0B", "5.9%"]
    plan = json.loads((tmp_path / "o" / "mixture_plan.json").read_text())
    assert [s["tokens"] for s in plan["stages"]] == [160e9, 140e9]


def test_stage_tokens_override_scales_each_stage(tmp_path: Path) -> None:
    counts = _write_table1_csv(tmp_path / "counts.csv")
    assert main(["mix", "--counts", str(counts), "--output", str(tmp_path), "--stage-tokens", "16e9,14e9"]) == 0
    plan = json.loads((tmp_path / "mixture_plan.json").read_text())
    assert plan["utilisation"][-1]["used_tokens"] == pytest.approx(30e9)


def test_unknown_category_and_bad_shares_are_one_line_errors(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("category,language,tokens\nnews,en,5\n")
    assert main(["mix", "--counts", str(bad), "--output", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("curate: error: unknown category 'news' for news/en")
    cfg = tmp_path / "mix.yaml"
    cfg.write_text("stages:\n- {name: s, tokens: 10, shares: {english: 0.5, chinese: 0.4}}\n")
    assert main(["mix", "--counts", str(bad), "--output", str(tmp_path), "--config", str(cfg)]) == 2
    assert "must be >= 0 and sum to 1" in capsys.readouterr().err
