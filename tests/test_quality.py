"""The quality stage and its decide step: columns, rule order, reasons, script-group fallback."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from curation.config import QualityConfig
from curation.schema import from_rows
from filters.quality import RULES, Bounds, QualityStage, decide, load_thresholds
from filters.signals import SIGNALS, compute_signals

CLEAN_DE = "\n".join(["Die Würde des Menschen ist unantastbar, und sie zu achten ist die Pflicht aller."] * 1
                     + [f"Der {i}. Absatz erzählt, wie die Stadt am Fluss über viele Jahre gewachsen ist." for i in
                        range(1, 8)])


def _write(tmp_path: Path, body: str) -> str:
    p = tmp_path / "t.yaml"
    p.write_text(body, encoding="utf-8")
    load_thresholds.cache_clear()
    return str(p)


def _batch(rows: list[dict]) -> pa.Table:
    base = {"source": "s", "_unit_id": "u"}
    return from_rows([{**base, "id": str(i), "_record_index": i, **r} for i, r in enumerate(rows)])


def test_every_rule_names_a_known_signal_and_a_quality_reason() -> None:
    for sig, side, reason in RULES:
        assert sig in SIGNALS and side in ("min", "max") and reason.startswith("quality_")


def test_decide_passes_a_document_within_bounds() -> None:
    s = compute_signals(CLEAN_DE, "de")
    assert decide(s, Bounds(min={"words": 10}, max={"dup_line_frac": 0.3})) is None


def test_decide_reports_the_first_failing_rule_in_rule_order() -> None:
    s = compute_signals("kurz\nkurz", "de")
    # Both too short and duplicated lines: the length rule comes first in RULES.
    verdict = decide(s, Bounds(min={"words": 50}, max={"dup_line_frac": 0.1}))
    assert verdict == ("quality_too_short", "words=2 < 50")


def test_decide_max_rule_detail_names_value_and_bound() -> None:
    s = compute_signals("a\na\na\nb", "de")
    assert decide(s, Bounds(max={"dup_line_frac": 0.3})) == ("quality_dup_lines", "dup_line_frac=0.5 > 0.3")


def test_stage_adds_signal_columns_and_rejects_with_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages:\n  de:\n    min: {words: 20}\n")
    stage = QualityStage(QualityConfig(thresholds_path=path))
    out = stage(_batch([{"text": CLEAN_DE, "language": "de"}, {"text": "zu kurz hier", "language": "de"}]))
    assert out.column("reject_reason").to_pylist() == [None, "quality_too_short"]
    assert out.column("q_words").to_pylist() == [compute_signals(CLEAN_DE, "de")["words"], 3.0]
    assert all(f"q_{s}" in out.column_names for s in SIGNALS)


def test_rows_already_rejected_or_without_language_pass_untouched(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages:\n  de:\n    min: {words: 20}\n")
    stage = QualityStage(QualityConfig(thresholds_path=path))
    out = stage(_batch([{"text": "kurz", "language": "de", "reject_reason": "url_adult"},
                        {"text": "kurz", "language": None}]))
    assert out.column("reject_reason").to_pylist() == ["url_adult", None]
    assert out.column("q_words").to_pylist() == [None, None]


def test_filter_false_only_annotates() -> None:
    stage = QualityStage(QualityConfig(thresholds_path="/nonexistent.yaml", filter=False))
    out = stage(_batch([{"text": "kurz", "language": "de"}]))
    assert out.column("reject_reason").to_pylist() == [None]
    assert out.column("q_words").to_pylist() == [1.0]


def test_language_without_entry_uses_its_script_group(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages: {}\ngroups:\n  Cyrillic:\n    min: {words: 5}\n")
    stage = QualityStage(QualityConfig(thresholds_path=path))
    out = stage(_batch([{"text": "Привет мир", "language": "uk"}, {"text": "short", "language": "en"}]))
    assert out.column("reject_reason").to_pylist() == ["quality_too_short", None]


def test_unknown_signal_in_thresholds_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages:\n  de:\n    max: {stopwrd_ratio: 0.1}\n")
    with pytest.raises(ValueError, match="unknown signal 'stopwrd_ratio'"):
        load_thresholds(path)


def test_missing_thresholds_file_is_a_clear_error() -> None:
    load_thresholds.cache_clear()
    with pytest.raises(FileNotFoundError, match="quality thresholds file not found"):
        QualityStage(QualityConfig(thresholds_path="/nonexistent/t.yaml")).setup()


def test_shipped_thresholds_cover_all_29_languages() -> None:
    from curation.config import TARGET_LANGUAGES

    load_thresholds.cache_clear()
    t = load_thresholds(None)
    for lang in TARGET_LANGUAGES:
        bounds = t.for_language(lang)
        assert bounds is not None and "stopword_ratio" in bounds.min and "dup_line_frac" in bounds.max, lang


def test_a_document_whose_signals_fail_is_rejected_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import filters.quality as quality

    def boom(text: str, lang: str) -> dict[str, float]:
        raise ValueError("bad document")

    monkeypatch.setattr(quality, "compute_signals", boom)
    stage = QualityStage(QualityConfig(thresholds_path=_write(tmp_path, "languages: {}\n")))
    out = stage(_batch([{"text": "x", "language": "de"}]))
    assert out.column("reject_reason").to_pylist() == ["quality_error"]
    assert out.column("reject_detail").to_pylist() == ["ValueError: bad document"]
