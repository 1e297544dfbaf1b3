"""The post-commit dedup phase: near duplicates move to rejected/ with their cluster, repeated
spans are cut, a rerun changes nothing, a killed phase resumes to the same files, and a later
run deduplicates against what an earlier one published (cross-run index)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import DedupConfig
from dedup.index import CrossRunIndex
from dedup.phase import NEAR_DUPLICATE, DedupPhase


@pytest.fixture(scope="module")
def german(shared_data: Path) -> list[str]:
    return (shared_data / "ntrex128" / "newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()


def _doc(lines: list[str], a: int, b: int) -> str:
    return "\n".join(lines[a:b])


def _write_part(out: Path, unit: str, docs: list[tuple[str, str]], lang: str = "de") -> None:
    path = out / "data" / f"language={lang}" / f"part-{unit}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": [i for i, _ in docs], "text": [t for _, t in docs],
                             "language": [lang] * len(docs), "reject_reason": pa.nulls(len(docs), pa.string()),
                             "reject_detail": pa.nulls(len(docs), pa.string())}), path)


def _rows(out: Path, where: str) -> dict[str, dict]:
    files = sorted(out.glob(f"{where}/*.parquet")) if where == "rejected" else sorted(
        out.glob("data/language=de/*.parquet"))
    return {r["id"]: r for f in files for r in pq.read_table(f).to_pylist()}


def _corpus(german: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    a, b, c = _doc(german, 0, 40), _doc(german, 100, 140), _doc(german, 200, 240)
    near_a = a.replace(german[5], "Eine ganz andere Zeile.")  # one line of 40 changed
    return [("a", a), ("b", b)], [("c", c), ("a2", near_a), ("a3", a)]


def test_near_duplicates_are_rejected_and_clusters_recorded(tmp_path: Path, german: list[str]) -> None:
    u1, u2 = _corpus(german)
    _write_part(tmp_path, "u1", u1)
    _write_part(tmp_path, "u2", u2)
    summary = DedupPhase(tmp_path, DedupConfig()).run()
    kept, rejected = _rows(tmp_path, "data"), _rows(tmp_path, "rejected")
    assert set(kept) | set(rejected) == {"a", "b", "c", "a2", "a3"}
    assert {r["reject_reason"] for r in rejected.values()} == {NEAR_DUPLICATE}
    assert len(rejected) == 2 and sum(1 for i in kept if i.startswith("a")) == 1  # one of a, a2, a3 kept
    keeper = next(i for i in kept if i.startswith("a"))
    assert kept[keeper]["dup_cluster_size"] == 3 and kept["b"]["dup_cluster_size"] == 1
    assert all(r["dup_cluster_id"] == kept[keeper]["dup_cluster_id"] for r in rejected.values())
    assert all(r["reject_detail"] == f"duplicate of {keeper}" for r in rejected.values())
    assert summary.languages[0].near_duplicates == 2
    # A rerun finds nothing new and changes nothing.
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")}
    assert DedupPhase(tmp_path, DedupConfig()).run().languages[0].skipped
    assert before == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")}


def test_repeated_spans_are_cut_from_later_documents(tmp_path: Path, german: list[str]) -> None:
    boiler = _doc(german, 500, 505)  # > 50 words shared by both documents
    first, second = f"{_doc(german, 0, 10)}\n{boiler}", f"{boiler}\n{_doc(german, 300, 310)}"
    _write_part(tmp_path, "u1", [("x", first), ("y", second)])
    DedupPhase(tmp_path, DedupConfig()).run()
    kept = _rows(tmp_path, "data")
    assert kept["x"]["text"] == first
    assert kept["y"]["text"] == _doc(german, 300, 310)


def test_killed_phase_resumes_to_the_same_output(tmp_path: Path, german: list[str]) -> None:
    u1, u2 = _corpus(german)
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    for out in (ref, killed):
        _write_part(out, "u1", u1)
        _write_part(out, "u2", u2)
    DedupPhase(ref, DedupConfig()).run()
    phase = DedupPhase(killed, DedupConfig())
    phase.plan("de", sorted((killed / "data" / "language=de").glob("part-*.parquet")))  # killed after planning
    DedupPhase(killed, DedupConfig()).run()
    for where in ("data", "rejected"):
        assert _rows(ref, where) == _rows(killed, where)


def test_later_run_deduplicates_against_published_documents(tmp_path: Path, german: list[str]) -> None:
    u1, _ = _corpus(german)
    _write_part(tmp_path, "u1", u1)
    DedupPhase(tmp_path, DedupConfig()).run()
    assert len(CrossRunIndex(tmp_path)) == 2
    near_b = ("b2", u1[1][1].replace(german[110], "Noch eine andere Zeile."))
    _write_part(tmp_path, "u3", [near_b, ("d", _doc(german, 700, 740))])
    summary = DedupPhase(tmp_path, DedupConfig()).run()
    assert summary.languages[0].documents == 2  # only the new part was read
    rejected = _rows(tmp_path, "rejected")
    assert set(rejected) == {"b2"} and rejected["b2"]["reject_detail"] == "duplicate of b"
    assert set(_rows(tmp_path, "data")) == {"a", "b", "d"}
    assert len(CrossRunIndex(tmp_path)) == 3


def test_recommitted_documents_are_not_duplicates_of_themselves(tmp_path: Path, german: list[str]) -> None:
    u1, _ = _corpus(german)
    _write_part(tmp_path, "u1", u1)
    DedupPhase(tmp_path, DedupConfig()).run()
    _write_part(tmp_path, "u1", u1)  # `curate run --force` commits the same documents again
    summary = DedupPhase(tmp_path, DedupConfig()).run()
    assert summary.languages[0].documents == 2 and summary.languages[0].near_duplicates == 0
    assert set(_rows(tmp_path, "data")) == {"a", "b"} and not _rows(tmp_path, "rejected")


def test_later_run_cuts_spans_published_by_an_earlier_run(tmp_path: Path, german: list[str]) -> None:
    boiler = _doc(german, 500, 505)  # > 50 words
    _write_part(tmp_path, "u1", [("x", f"{_doc(german, 0, 10)}\n{boiler}")])
    DedupPhase(tmp_path, DedupConfig()).run()
    _write_part(tmp_path, "u2", [("y", f"{boiler}\n{_doc(german, 300, 310)}")])
    summary = DedupPhase(tmp_path, DedupConfig()).run()
    assert summary.languages[0].documents == 1  # x was not re-read
    assert _rows(tmp_path, "data")["y"]["text"] == _doc(german, 300, 310)


def test_duplicates_in_two_languages_of_one_unit_are_all_kept_in_rejected(tmp_path: Path, german: list[str],
                                                                           shared_data: Path) -> None:
    french = (shared_data / "ntrex128" / "newstest2019-ref.fra.txt").read_text(encoding="utf-8").splitlines()
    de, fr = _doc(german, 0, 40), _doc(french, 0, 40)
    _write_part(tmp_path, "u1", [("de1", de), ("de2", de)], lang="de")
    _write_part(tmp_path, "u1", [("fr1", fr), ("fr2", fr)], lang="fr")
    DedupPhase(tmp_path, DedupConfig()).run()
    kept = {r["id"] for f in tmp_path.glob("data/language=*/*.parquet") for r in pq.read_table(f).to_pylist()}
    rejected = {r["id"]: r["reject_reason"] for f in tmp_path.glob("rejected/*.parquet")
                for r in pq.read_table(f).to_pylist()}
    assert len(kept) == 2 and len(rejected) == 2 and kept | set(rejected) == {"de1", "de2", "fr1", "fr2"}
    assert set(rejected.values()) == {NEAR_DUPLICATE}



def test_languages_deduplicated_in_threads_give_the_files_of_one_at_a_time(tmp_path: Path, german: list[str],
                                                                           shared_data: Path) -> None:
    french = (shared_data / "ntrex128" / "newstest2019-ref.fra.txt").read_text(encoding="utf-8").splitlines()
    outs = {}
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}"
        u1, u2 = _corpus(german)
        _write_part(out, "u1", u1)
        _write_part(out, "u2", u2)
        fr = _doc(french, 0, 40)
        _write_part(out, "u1", [("fr1", fr), ("fr2", fr), ("fr3", _doc(french, 100, 140))], lang="fr")
        summary = DedupPhase(out, DedupConfig(threads=threads)).run()
        assert [(s.language, s.documents, s.near_duplicates) for s in summary.languages] == [("de", 5, 2),
                                                                                            ("fr", 3, 1)]
        outs[threads] = {str(p.relative_to(out)): pq.read_table(p) for p in sorted(out.glob("[dr]*/**/*.parquet"))}
    assert outs[1].keys() == outs[2].keys() and len(outs[1]) == 5
    assert all(outs[1][k].equals(outs[2][k]) for k in outs[1])
