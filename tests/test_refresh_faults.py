"""Faults during `curate refresh`, each ending with exactly the published documents of a clean
run ({(id, sha256(text))}, no duplicate ids): a crash between a unit's files and its ledger row,
a crash during publish (readers keep seeing the old snapshot), the driver killed mid-run and
resumed (its stale lock taken over), two refreshes started at once, and (slow, Ray) a worker
killed mid-stage. Crashes are injected with the CURATION_FAULT test hook (curation/faults.py),
which SIGKILLs the process at the named point; external kills use tests/fault_util.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from curation.refresh import snapshot

try:
    from tests import fault_util as fu
except ImportError:  # pragma: no cover
    import fault_util as fu  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
NIGHT1 = ["wget-en-0000.warc.gz", "cc-main-2020-34-excerpt.warc.gz"]
NIGHT2 = [*NIGHT1, "wget-en-0001.warc.gz", "clueweb09-ja-excerpt.warc.gz"]
TIMEOUT = 600


def config(path: Path, out: Path, names: list[str], runner: str = "local") -> Path:
    data = yaml.safe_load((REPO / "pipelines/configs/web.yaml").read_text())
    data["runner"]["kind"] = runner
    data["output"]["path"] = str(out)
    data["input"]["paths"] = fu.inputs(names)
    data["read"]["chunk_rows"] = 8
    data["extract"]["timeout_s"] = 60  # a loaded machine must not turn a page into extract_timeout
    for section in ("quality", "perplexity"):
        data.setdefault(section, {})["enabled"] = False
    path.write_text(yaml.safe_dump(data))
    return path


def refresh_args(cfg: Path, *extra: str) -> list[str]:
    return [*fu.CURATE, "refresh", str(cfg), "--quiet", *extra]


def run(cfg: Path, fault: str | None = None, **env: str) -> subprocess.CompletedProcess:
    e = fu.env() | env
    e.pop("CURATION_FAULT", None)
    if fault:
        e["CURATION_FAULT"] = fault
    return subprocess.run(refresh_args(cfg), cwd=REPO, env=e, capture_output=True, text=True, timeout=TIMEOUT)


def published(out: Path) -> set[tuple[str, str]]:
    t = snapshot.read_published(out, ["id", "text"])
    ids = t.column("id").to_pylist()
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicate ids published"
    return {(i, hashlib.sha256((x or "").encode()).hexdigest()) for i, x in zip(ids, t.column("text").to_pylist())}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set]:
    """Published documents of clean refreshes: all inputs in one night, and NIGHT1 then NIGHT2."""
    root = tmp_path_factory.mktemp("clean")
    one = root / "one"
    assert run(config(root / "one.yaml", one, NIGHT2)).returncode == 0
    two = root / "two"
    assert run(config(root / "n1.yaml", two, NIGHT1)).returncode == 0
    assert run(config(root / "n2.yaml", two, NIGHT2)).returncode == 0
    assert snapshot.current(two) == 2
    refs = {"one_night": published(one), "two_nights": published(two), "night1": _snapshot_rows(two, 1)}
    assert len(refs["one_night"]) > 30
    return refs


def _snapshot_rows(out: Path, n: int) -> set[tuple[str, str]]:
    t = snapshot.read_published(out, ["id", "text"], n)
    return {(i, hashlib.sha256((x or "").encode()).hexdigest())
            for i, x in zip(t.column("id").to_pylist(), t.column("text").to_pylist())}


def _ledger(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in fu.ledger_units(out)}


# --------------------------------------------------------------------------- crash points

def test_crash_between_a_units_files_and_its_ledger_row_loses_and_duplicates_nothing(reference, tmp_path):
    out = tmp_path / "out"
    cfg = config(tmp_path / "c.yaml", out, NIGHT2)
    crashed = run(cfg, "after_shard_before_ledger:2")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    committed = _ledger(out)
    assert len(committed) == 1
    orphans = [p for p in (out / "data").glob("*/part-*.parquet") if p.name[5:25] not in committed]
    assert orphans, "the second unit's files should exist without a ledger row"
    assert snapshot.current(out) is None  # nothing published
    assert (out / "_lock").exists()  # left behind by the killed process

    resumed = run(cfg)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "took over a stale lock" in resumed.stderr
    assert "3 units to process, 1 already committed" in resumed.stderr
    assert _ledger(out)[next(iter(committed))] == next(iter(committed.values()))
    assert published(out) == reference["one_night"]
    assert not (out / "_lock").exists()


def test_crash_during_publish_leaves_readers_on_the_old_snapshot(reference, tmp_path):
    out = tmp_path / "out"
    assert run(config(tmp_path / "n1.yaml", out, NIGHT1)).returncode == 0
    night2 = config(tmp_path / "n2.yaml", out, NIGHT2)
    crashed = run(night2, "publish_before_pointer")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert snapshot.current(out) == 1  # the pointer was never swapped
    assert published(out) == reference["night1"]
    assert snapshot.list_snapshots(out) == [1, 2]  # 2 is complete on disk but not published

    resumed = run(night2)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "0 units to process, 4 already committed" in resumed.stderr
    assert snapshot.current(out) == 3 and snapshot.manifest(out, 3)["previous"] == 1
    assert published(out) == reference["two_nights"]


def test_driver_killed_mid_run_then_resumed(reference, tmp_path):
    out = tmp_path / "out"
    cfg = config(tmp_path / "c.yaml", out, NIGHT2)
    first = fu.Driver(refresh_args(cfg), tmp_path / "first.log")
    try:
        fu.wait_until(lambda: fu.ledger_units(out), TIMEOUT, "a first committed unit", first, interval=0.05)
        first.kill()  # SIGKILL from outside
    finally:
        if first.alive():
            first.kill()
        survivors = first.reap(grace=5)
    assert not survivors, f"the extraction child outlived its killed driver: {survivors}"
    committed = _ledger(out)
    assert 1 <= len(committed) < len(NIGHT2), "kill was not mid-run"
    assert snapshot.current(out) is None

    resumed = run(cfg)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(NIGHT2) - len(committed)} units to process, {len(committed)} already committed" in resumed.stderr
    assert published(out) == reference["one_night"]


def test_two_refreshes_at_once_one_runs_the_other_exits_naming_it(reference, tmp_path):
    out = tmp_path / "out"
    cfg = config(tmp_path / "c.yaml", out, NIGHT2)
    release = tmp_path / "release"
    env = fu.env() | {"CURATION_PAUSE": "refresh_after_lock", "CURATION_PAUSE_FILE": str(release)}
    log = open(tmp_path / "a.log", "wb")  # noqa: SIM115
    a = subprocess.Popen(refresh_args(cfg), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        fu.wait_until(lambda: (out / "_lock").exists(), 120, "the first refresh's lock")
        b = run(cfg)
        assert b.returncode == 75
        lines = [ln for ln in b.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("curate: error: another curate process holds")
        assert f"pid {a.pid} on " in lines[0]
        release.touch()
        assert a.wait(TIMEOUT) == 0, (tmp_path / "a.log").read_text()[-2000:]
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
        log.close()
    assert published(out) == reference["one_night"]
    assert snapshot.list_snapshots(out) == [1]
    records = list((out / "_refresh" / "runs").glob("*.json"))
    assert len(records) == 1  # the refused run wrote nothing


# --------------------------------------------------------------------------- Ray (slow)

@pytest.mark.slow
@pytest.mark.timeout(3 * TIMEOUT)
def test_ray_extraction_actor_killed_mid_stage_then_output_is_unchanged(reference, tmp_path):
    out = tmp_path / "out"
    cfg = config(tmp_path / "c.yaml", out, [fu.BIG, *NIGHT2], runner="ray")
    data = yaml.safe_load(cfg.read_text())
    data["extract"]["batch_size"] = 8
    data["langid"]["batch_size"] = 8
    cfg.write_text(yaml.safe_dump(data))
    clean_out = tmp_path / "clean"
    clean = config(tmp_path / "clean.yaml", clean_out, [fu.BIG, *NIGHT2])
    assert run(clean).returncode == 0
    expected = published(clean_out)

    driver = fu.Driver(refresh_args(cfg), tmp_path / "ray.log")
    try:
        victim = fu.wait_until(lambda: (fu.extraction_actors(driver) or [None])[0], TIMEOUT,
                               "an extraction actor", driver)
        fu.wait_until(lambda: fu.ledger_units(out) or list((out / "_tmp").glob("*/*/*.parquet")), TIMEOUT,
                      "work through every stage", driver)
        assert snapshot.current(out) is None, "the run finished before the kill; nothing was tested"
        os.kill(victim.pid, 9)
        rc = driver.wait(3 * TIMEOUT)
        assert rc == 0, driver.output()[-3000:]
    finally:
        if driver.alive():
            driver.kill()
        driver.reap(grace=15)
    assert published(out) == expected
