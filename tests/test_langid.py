from pathlib import Path

import pyarrow as pa

from curation import schema
from curation.config import LangIdConfig
from filters.langid import LangIdStage, normalise_for_lid


def batch_of(texts: list[str]) -> pa.Table:
    return schema.from_rows([{"id": str(i), "source": "t", "text": t, schema.UNIT_ID: "u",
                              schema.RECORD_INDEX: i} for i, t in enumerate(texts)])


def first_lines(path: Path, n: int = 3) -> str:
    return " ".join(path.read_text(encoding="utf-8").splitlines()[:n])


def test_newlines_never_reach_fasttext():
    assert normalise_for_lid("a\nb\r\n c\t d") == "a b c d"


def test_identifies_real_sentences_of_target_languages(shared_data):
    flores = shared_data / "flores200"
    cases = {"de": "deu_Latn", "ru": "rus_Cyrl", "ja": "jpn_Jpan", "ar": "arb_Arab", "th": "tha_Thai"}
    stage = LangIdStage(LangIdConfig())
    out = stage(batch_of([first_lines(flores / f"{code}.devtest") for code in cases.values()]))
    assert out.column("language").to_pylist() == list(cases)
    assert all(s > 0.8 for s in out.column("language_score").to_pylist())
    assert out.column("reject_reason").to_pylist() == [None] * len(cases)
    assert all(r is not None for r in out.column("language_runner_up").to_pylist())


def test_non_target_language_and_low_confidence_are_rejected(shared_data):
    la = first_lines(shared_data / "sentences" / "la.txt", 5)  # Latin: not one of the 29
    out = LangIdStage(LangIdConfig())(batch_of([la, "12345 67890 ... !!!"]))
    reasons = out.column("reject_reason").to_pylist()
    assert reasons[0] == "language_unsupported"
    assert out.column("language").to_pylist()[0] == "la"
    assert reasons[1] == "language_low_confidence"
