"""The dedup phase's Ray path (dedup/ray_phase.py: parts read, planned and applied in Ray tasks)
writes exactly the files the local phase writes, on real text: every data/ and rejected/ file
(all columns, rows sorted by id), the cross-run index, and a later run against that index; a
phase interrupted after its plan resumes to the same files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import DedupConfig
from dedup.minhash import MinHasher
from dedup.phase import NEAR_DUPLICATE, SUBSTRING_SHORT, DedupPhase, apply_part
from dedup.stage import signature_array


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def _lines(shared_data: Path, name: str) -> list[str]:
    return (shared_data / "flores200" / name).read_text(encoding="utf-8").splitlines()


def _doc(lines: list[str], a: int, b: int) -> str:
    return "\n".join(lines[a:b])


def _write_part(out: Path, lang: str, unit: str, docs: list[tuple[str, str]], minhash: str = "none") -> None:
    """A committed part: ``minhash`` "right" (112 permutations), "wrong" (64) or "none" (no column)."""
    ids, texts = [i for i, _ in docs], [t for _, t in docs]
    cols: dict[str, pa.Array | list] = {
        "id": ids, "url": [f"https://example.org/{i}" for i in ids], "text": texts, "language": [lang] * len(ids),
        "n_words": pa.array([len(t.split()) for t in texts], pa.int64()),
        "n_chars": pa.array([len(t) for t in texts], pa.int64()),
        "reject_reason": pa.nulls(len(ids), pa.string()), "reject_detail": pa.nulls(len(ids), pa.string())}
    if minhash != "none":
        sig = MinHasher(112 if minhash == "right" else 64).signatures(texts, [lang] * len(texts))
        cols["minhash"] = signature_array(sig, [True] * len(ids))
    path = out / "data" / f"language={lang}" / f"part-{unit}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), path)


def _first_run(out: Path, shared_data: Path) -> None:
    de, ja = _lines(shared_data, "deu_Latn.devtest"), _lines(shared_data, "jpn_Jpan.devtest")
    boiler = _doc(de, 900, 905)  # > 50 words, repeated in several documents
    near = _doc(de, 0, 20).replace(de[7], "Eine ganz andere Zeile.")  # one sentence of 20 changed
    _write_part(out, "de", "u1", [("a", _doc(de, 0, 20)), ("b", _doc(de, 40, 60)),
                                  ("x", f"{_doc(de, 100, 110)}\n{boiler}")], minhash="right")
    _write_part(out, "de", "u2", [("a2", near), ("a3", _doc(de, 0, 20)), ("y", f"{boiler}\n{_doc(de, 120, 130)}"),
                                  ("s", f"{boiler}\nKurz.")], minhash="none")
    _write_part(out, "de", "u3", [("b2", _doc(de, 40, 59)), ("c", _doc(de, 200, 220))], minhash="wrong")
    ja_boiler = "".join(ja[300:303])  # > 50 characters
    _write_part(out, "ja", "u1", [("j1", _doc(ja, 0, 10)), ("j2", _doc(ja, 0, 10)),
                                  ("j3", f"{_doc(ja, 20, 30)}\n{ja_boiler}")], minhash="right")
    _write_part(out, "ja", "u2", [("j4", f"{ja_boiler}\n{_doc(ja, 40, 50)}"), ("j5", _doc(ja, 60, 70))])


def _second_run(out: Path, shared_data: Path) -> None:
    de = _lines(shared_data, "deu_Latn.devtest")
    _write_part(out, "de", "u4", [("b3", _doc(de, 41, 60)), ("z", f"{_doc(de, 300, 310)}\n{_doc(de, 900, 905)}"),
                                  ("d", _doc(de, 400, 420))], minhash="right")


def _files(out: Path) -> dict[str, list[dict]]:
    """Every output file (data/, rejected/) -> its rows sorted by id, all columns."""
    files = sorted(out.glob("data/language=*/*.parquet")) + sorted(out.glob("rejected/*.parquet"))
    return {str(f.relative_to(out)): sorted(pq.read_table(f).to_pylist(), key=lambda r: r["id"]) for f in files}


def _index(out: Path) -> dict[str, list[tuple]]:
    """The cross-run index's rows by kind (file names differ: one file per partition on Ray)."""
    rows: dict[str, list[tuple]] = {}
    for f in sorted(out.glob("_index/**/*.parquet")):
        kind = f"{f.parent.parent.name}/{f.parent.name}/{f.name.split('-')[0]}"
        rows.setdefault(kind, []).extend(tuple(map(str, r.values())) for r in pq.read_table(f).to_pylist())
    return {k: sorted(v) for k, v in rows.items() if v}  # (an empty file adds nothing to the index)


def _columns(out: Path) -> dict[str, list[str]]:
    return {str(f.relative_to(out)): pq.read_schema(f).names for f in sorted(out.glob("*/**/*.parquet"))
            if "_index" not in f.parts}


def test_ray_phase_writes_the_files_the_local_phase_writes(ray_local: None, shared_data: Path, tmp_path: Path) -> None:
    cfg = DedupConfig(ray_min_docs=1)  # every language goes to Ray
    lines = {}
    for name, use_ray in (("local", False), ("ray", True)):
        out = tmp_path / name
        _first_run(out, shared_data)
        first = DedupPhase(out, cfg, use_ray=use_ray).run().line()
        _second_run(out, shared_data)
        lines[name] = (first, DedupPhase(out, cfg, use_ray=use_ray).run().line())
    local, ray_ = tmp_path / "local", tmp_path / "ray"
    assert lines["ray"] == lines["local"]
    assert _files(ray_) == _files(local)
    assert _columns(ray_) == _columns(local)
    assert _index(ray_) == _index(local)
    assert any(".p0" in f.name for f in ray_.glob("_index/minhash/language=de/*.parquet"))  # staged by Ray tasks
    rows = {r["id"]: r for f in _files(ray_).values() for r in f}
    reasons = {i: r["reject_reason"] for i, r in rows.items() if r["reject_reason"]}
    j_copy = "j1" if "j1" in reasons else "j2"  # of two equal documents, the smaller node key stays
    assert reasons == {"a2": NEAR_DUPLICATE, "a3": NEAR_DUPLICATE, "b2": NEAR_DUPLICATE, j_copy: NEAR_DUPLICATE,
                       "s": SUBSTRING_SHORT, "b3": NEAR_DUPLICATE}
    assert rows["b3"]["reject_detail"] == "duplicate of b"  # a keeper published by the first run
    assert rows["z"]["text"] == _doc(_lines(shared_data, "deu_Latn.devtest"), 300, 310) + "\n"  # published span cut
    assert rows["y"]["n_chars"] == len(rows["y"]["text"]) < len(rows["x"]["text"])


def test_ray_phase_without_duplicates_or_windows_writes_the_local_files(ray_local: None, tmp_path: Path) -> None:
    """No candidate edges, no window of 50 tokens, an empty text; then a run whose documents
    match nothing published: every shuffle gets (almost) nothing."""
    cfg = DedupConfig(ray_min_docs=1)
    for name, use_ray in (("local", False), ("ray", True)):
        out = tmp_path / name
        _write_part(out, "de", "u1", [("a", "Ein kurzer Text."), ("b", "Noch ein anderer kurzer Text."), ("c", "")])
        assert DedupPhase(out, cfg, use_ray=use_ray).run().languages[0].near_duplicates == 0
        _write_part(out, "de", "u2", [("d", "Ganz etwas anderes.")])
        assert DedupPhase(out, cfg, use_ray=use_ray).run().languages[0].documents == 1
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
    assert _index(tmp_path / "ray") == _index(tmp_path / "local")


def _reference_and_twin(tmp_path: Path, shared_data: Path, cfg: DedupConfig) -> tuple[Path, Path]:
    """Two outputs of the same first run; the first is deduplicated in-process (the reference)."""
    ref, twin = tmp_path / "ref", tmp_path / "killed"
    for out in (ref, twin):
        _first_run(out, shared_data)
    DedupPhase(ref, cfg).run()
    return ref, twin


def test_ray_phase_interrupted_after_its_plan_resumes_to_the_same_files(ray_local: None, shared_data: Path,
                                                                         tmp_path: Path) -> None:
    cfg = DedupConfig(ray_min_docs=1)
    ref, killed = _reference_and_twin(tmp_path, shared_data, cfg)
    phase = DedupPhase(killed, cfg, use_ray=True)
    meta = phase.plan_on_ray("de", sorted((killed / "data" / "language=de").glob("part-*.parquet")))
    assert meta["layout"] == "parts" and meta["documents"] == 9
    plans = sorted(p.name for p in (phase.plan_dir("de") / "plan").glob("*.parquet"))
    assert plans == meta["parts"] == ["part-u1.parquet", "part-u2.parquet", "part-u3.parquet"]
    apply_part(killed, "de", "part-u2.parquet", phase.plan_dir("de") / "plan" / "part-u2.parquet")  # then killed
    apply_part(killed, "de", "part-u2.parquet", phase.plan_dir("de") / "plan" / "part-u2.parquet")  # idempotent
    summary = DedupPhase(killed, cfg, use_ray=True).run()  # resumes "de" from its plan, plans "ja"
    assert [s.documents for s in summary.languages] == [9, 5]
    assert _files(killed) == _files(ref)
    assert _index(killed) == _index(ref)
    assert not (killed / "_dedup" / "language=de").exists()


def test_a_ray_plan_resumes_under_the_local_runner_too(ray_local: None, shared_data: Path, tmp_path: Path) -> None:
    """Resumed with ``use_ray=False``: the per-part plan files are applied in the driver."""
    cfg = DedupConfig(ray_min_docs=1)
    ref, killed = _reference_and_twin(tmp_path, shared_data, cfg)
    phase = DedupPhase(killed, cfg, use_ray=True)
    for lang in ("de", "ja"):
        phase.plan_on_ray(lang, sorted((killed / "data" / f"language={lang}").glob("part-*.parquet")))
    DedupPhase(killed, cfg, use_ray=False).run()
    assert _files(killed) == _files(ref)
    assert _index(killed) == _index(ref)


def test_small_languages_stay_local_under_ray(shared_data: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def on_ray(self: DedupPhase, lang: str, parts: list[Path]) -> dict:
        calls.append(lang)
        raise RuntimeError("Ray path taken")

    monkeypatch.setattr(DedupPhase, "plan_on_ray", on_ray)
    _first_run(tmp_path, shared_data)  # de: 9 documents, ja: 5
    DedupPhase(tmp_path, DedupConfig(ray_min_docs=10), use_ray=True).run()
    assert calls == []
    _second_run(tmp_path, shared_data)  # de: 3 new documents
    with pytest.raises(RuntimeError, match="Ray path taken"):
        DedupPhase(tmp_path, DedupConfig(ray_min_docs=3), use_ray=True).run()
    assert calls == ["de"]


def test_curate_run_under_the_ray_runner_dedups_on_ray_to_the_local_files(small_warcs: list[str],
                                                                          tmp_path: Path) -> None:
    """``curate run`` on real WARCs (Common Crawl, ClueWeb Japanese, wget English pages), the Ray
    runner with ``dedup.ray_min_docs: 1`` against the local runner: the same files."""
    import subprocess
    import sys

    import yaml

    repo = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((repo / "pipelines" / "configs" / "web.yaml").read_text())
    cfg["dedup"]["ray_min_docs"] = 1
    config = tmp_path / "web.yaml"
    config.write_text(yaml.safe_dump(cfg))
    inputs = [a for w in small_warcs[:4] for a in ("--input", w)]
    for runner in ("local", "ray"):
        proc = subprocess.run([sys.executable, "-m", "curation.cli", "run", str(config), *inputs, "--runner", runner,
                               "--output", str(tmp_path / runner), "--quiet"], cwd=repo, capture_output=True,
                              text=True, timeout=1100)
        assert proc.returncode == 0, proc.stderr[-3000:]
    local, ray_ = _files(tmp_path / "local"), _files(tmp_path / "ray")
    assert local == ray_
    assert _index(tmp_path / "ray") == _index(tmp_path / "local")
    rows = [r for f in local.values() for r in f]
    assert sum(r["reject_reason"] == NEAR_DUPLICATE for r in rows) > 0  # wget pages repeat across the two files
    on_ray = {f.parent.name for f in (tmp_path / "ray").glob("_index/minhash/*/*.p0*.parquet")}  # staged by tasks
    assert on_ray == {f.parent.name for f in (tmp_path / "local").glob("_index/minhash/*/*.parquet")}
    assert len(on_ray) >= 2
