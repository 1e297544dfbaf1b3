"""Fault injection: a Ray worker killed mid-run, a driver killed mid-run (then rerun), and a
run interrupted by an exception. Every faulty run must end with the same rows as a clean run:
{(id, sha256(text), reject_reason)} over data/ and rejected/, no duplicate ids, no fragments
left under _tmp, and a rerun redoes only the units the ledger does not hold.

The slow tests run ``curate run`` as a subprocess (embedded local Ray for ``--runner ray``) and
signal only processes that descend from the driver they started (see tests/fault_util.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import fault_util as fu
except ImportError:  # pragma: no cover
    import fault_util as fu  # type: ignore[no-redef]

INPUTS = [fu.BIG, *fu.SMALL]  # sorted by the planner: 2 small units, the big one, 2 small ones
RUN_TIMEOUT = 360  # one full run takes ~30-60 s here; the machine is shared


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small chunks and batches, so small units commit while the big one is still extracted
    (under Ray the language-ID stage's default batch_size of 256 holds every small unit's rows
    back until the big unit's arrive, so nothing would commit before the end of the run), and a
    generous extraction time-out, so a loaded machine cannot turn a page into extract_timeout."""
    path = fu.write_config(tmp_path_factory.mktemp("cfg") / "web.yaml", chunk_rows=16)
    text = path.read_text()
    text = re.sub(r"(extract:\n(?:  .*\n)*?)  batch_size: \d+", r"\1  batch_size: 16", text)
    text = re.sub(r"timeout_s: [\d.]+", "timeout_s: 60", text)
    text = text.replace("langid:\n", "langid:\n  batch_size: 16\n")
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def reference(config: Path, tmp_path_factory: pytest.TempPathFactory) -> set:
    """Rows of a clean local run over INPUTS (the local and Ray runners give the same rows)."""
    out = tmp_path_factory.mktemp("reference")
    driver = fu.Driver(fu.curate_args(config, fu.inputs(INPUTS), out, "local"), out.parent / "reference.log")
    assert driver.wait(RUN_TIMEOUT) == 0, driver.output()[-3000:]
    rows = fu.rows(out)
    assert len(rows) > 1000 and len({r[0] for r in rows}) == len(rows)
    return set(rows)


def _ledger(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in fu.ledger_units(out)}


# --------------------------------------------------------------------------- worker killed

@pytest.mark.slow
@pytest.mark.timeout(2 * RUN_TIMEOUT)
def test_ray_actor_killed_mid_run_is_restarted_and_output_is_unchanged(config, reference, tmp_path):
    out = tmp_path / "out"
    driver = fu.Driver(fu.curate_args(config, fu.inputs(INPUTS), out, "ray"), tmp_path / "run.log")
    try:
        # Work has gone through every stage (a small unit is committed) and the big unit is
        # still being extracted: kill the extraction actor while it runs a task.
        fu.wait_until(lambda: fu.ledger_units(out), RUN_TIMEOUT, "a first committed unit", driver)

        def busy_extraction_actor():
            actors = fu.extraction_actors(driver)
            busy = [a for a in actors if fu.cmdline(a).strip().endswith((".submit", ".process", ".process_unit"))]
            return (busy or actors)[0] if actors else None

        victim = fu.wait_until(busy_extraction_actor, 60, "an extraction actor", driver)
        committed_before = len(fu.ledger_units(out))
        assert committed_before < len(INPUTS), "the run finished before the kill; nothing was tested"
        orphan_candidates = victim.children()
        victim_pid = victim.pid
        print(f"killing {fu.cmdline(victim).strip()} pid={victim_pid} with {committed_before} units committed")
        victim.kill()

        # The pool's actors have max_restarts=-1 and task retries: Ray starts a new actor and
        # retries the slice (or the whole unit, runner.whole_units) that was running on the dead one.
        def replacement():
            return [a.pid for a in fu.extraction_actors(driver) if a.pid != victim_pid]

        restarted = fu.wait_until(replacement, RUN_TIMEOUT, "a replacement extraction actor", driver)
        print(f"replacement extraction actor(s): {restarted}")
        rc = driver.wait(RUN_TIMEOUT)
        log = driver.output()
        assert rc == 0, log[-3000:]
        assert f"done: {len(INPUTS)} units" in log, log[-3000:]
        run_id, todo, done = fu.parse_run_line(log)
        assert (todo, done) == (len(INPUTS), 0)
        assert {e["run_id"] for e in _ledger(out).values()} == {run_id}
        assert len(_ledger(out)) == len(INPUTS)
        fu.assert_same_output(out, reference)
        # The killed actor's extraction child saw its pipe close and exited.
        assert not [p for p in orphan_candidates if fu.is_alive(p)], "extraction child outlived its actor"
    finally:
        if driver.alive():
            driver.kill()
        leftovers = driver.reap(grace=15)
    assert not leftovers, f"processes of the embedded Ray outlived a clean exit: {leftovers}"


# --------------------------------------------------------------------------- driver killed

@pytest.mark.slow
@pytest.mark.timeout(3 * RUN_TIMEOUT)
@pytest.mark.parametrize("runner", ["ray", "local"])
def test_driver_killed_mid_run_then_rerun_redoes_only_uncommitted_units(runner, config, reference, tmp_path):
    out = tmp_path / "out"
    args = fu.curate_args(config, fu.inputs(INPUTS), out, runner)
    first = fu.Driver(args, tmp_path / "first.log")
    try:
        fu.wait_until(lambda: fu.ledger_units(out), RUN_TIMEOUT, "a first committed unit", first, interval=0.1)
        first.kill()  # SIGKILL: no atexit, no ray.shutdown(), no cleanup of any kind
    finally:
        if first.alive():
            first.kill()
        # Without its driver the embedded Ray's gcs/raylet/workers go down within ~3 s, but
        # Ray's DashboardAgent and RuntimeEnvAgent linger ~60 s: kill what descends from it.
        survivors = first.reap(grace=5)
    print(f"{runner}: killed the driver with {len(fu.ledger_units(out))} units committed; "
          f"still alive 5 s later (killed now): {survivors}")
    if runner == "local":
        assert not survivors, f"the extraction child outlived its killed driver: {survivors}"
    first_run_id, _, _ = fu.parse_run_line(first.output())
    committed = _ledger(out)
    assert 1 <= len(committed) < len(INPUTS), f"kill was not mid-run: {len(committed)} units committed"
    assert {e["run_id"] for e in committed.values()} == {first_run_id}

    second = fu.Driver(args, tmp_path / "second.log")
    try:
        rc = second.wait(RUN_TIMEOUT)
    finally:
        if second.alive():
            second.kill()
        leftovers = second.reap(grace=15)
    log = second.output()
    assert rc == 0, log[-3000:]
    run_id, todo, skipped = fu.parse_run_line(log)
    assert (todo, skipped) == (len(INPUTS) - len(committed), len(committed)), log[-3000:]
    assert f"done: {todo} units ({skipped} skipped)" in log, log[-3000:]
    final = _ledger(out)
    assert len(final) == len(INPUTS)
    for unit, entry in committed.items():  # committed units were not redone
        assert final[unit] == entry
    assert {u for u, e in final.items() if e["run_id"] == run_id} == set(final) - set(committed)
    fu.assert_same_output(out, reference)
    assert not leftovers, f"processes outlived a clean exit: {leftovers}"


# --------------------------------------------------------------------------- exception (fast)

def _run_local(cfg: Path, files: list[str], out: Path) -> int:
    from curation.cli import main

    argv = ["run", str(cfg), "--runner", "local", "--output", str(out), "--quiet"]
    for f in files:
        argv += ["--input", f]
    return main(argv)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], set]:
    """A config with small chunks, the small inputs, and the rows of a clean local run."""
    root = tmp_path_factory.mktemp("small")
    cfg = fu.write_config(root / "web.yaml", chunk_rows=8)
    files = sorted(fu.inputs(fu.SMALL))
    assert _run_local(cfg, files, root / "clean") == 0
    return cfg, files, set(fu.rows(root / "clean"))


@pytest.mark.parametrize("fault", [RuntimeError, KeyboardInterrupt])
def test_local_run_interrupted_by_exception_resumes(fault, small_run, tmp_path, monkeypatch, capsys):
    from curation.io.units import unit_for
    from filters.langid import LangIdStage

    cfg, files, reference = small_run
    first_unit, second_unit = (unit_for(f).unit_id for f in files[:2])
    original = LangIdStage.process

    def failing(self, batch):
        if second_unit in batch.column("_unit_id").to_pylist():
            raise fault("injected fault")
        return original(self, batch)

    out = tmp_path / "out"
    capsys.readouterr()
    with monkeypatch.context() as patch:
        patch.setattr(LangIdStage, "process", failing)
        # The CLI turns a failure into a one-line cause: exit 130 for Ctrl-C, 1 for an error.
        assert _run_local(cfg, files, out) == (130 if fault is KeyboardInterrupt else 1)
    err = capsys.readouterr().err
    assert ("interrupted" if fault is KeyboardInterrupt else "injected fault") in err
    first_run_id, _, _ = fu.parse_run_line(err)
    committed = _ledger(out)
    assert list(committed) == [first_unit]
    assert committed[first_unit]["run_id"] == first_run_id

    assert _run_local(cfg, files, out) == 0
    err = capsys.readouterr().err
    run_id, todo, skipped = fu.parse_run_line(err)
    assert (todo, skipped) == (len(files) - 1, 1)
    final = _ledger(out)
    assert final[first_unit] == committed[first_unit]  # not redone
    assert {u for u, e in final.items() if e["run_id"] == run_id} == set(final) - {first_unit}
    fu.assert_same_output(out, reference)
