import socket
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
WEB = str(REPO / "pipelines/configs/web.yaml")


def curate(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_help_lists_the_commands():
    proc = curate("--help")
    assert proc.returncode == 0
    assert "run" in proc.stdout and "stats" in proc.stdout


def test_bad_config_key_is_one_line_naming_the_key(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("extract:\n  favour_precision: true\n")
    line = one_line_error(curate("run", str(cfg)))
    assert "extract.favour_precision" in line and "favor_precision" in line


def test_missing_input_is_one_line(tmp_path):
    line = one_line_error(curate("run", WEB, "--input", str(tmp_path / "nothing-*.warc.gz"),
                                 "--output", str(tmp_path / "o")))
    assert "input not found" in line


def test_unreachable_cluster_is_one_line(tmp_path, small_warcs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    line = one_line_error(curate("run", WEB, "--runner", "ray", "--address", f"127.0.0.1:{port}",
                                 "--input", small_warcs[0], "--output", str(tmp_path / "o")))
    assert f"cannot reach Ray cluster at 127.0.0.1:{port}" in line


def test_run_then_stats(tmp_path, small_warcs):
    out = tmp_path / "o"
    proc = curate("run", WEB, "--runner", "local", "--input", small_warcs[2], "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 units to process" in proc.stderr and "done: 1 units" in proc.stderr
    assert pq.read_table(next(out.glob("data/language=en/part-*.parquet"))).num_rows > 10
    stats = curate("stats", str(out))
    assert stats.returncode == 0
    assert "en" in stats.stdout


def test_stats_on_a_non_output_dir_fails_cleanly(tmp_path):
    assert "not a curate output directory" in one_line_error(curate("stats", str(tmp_path)))


def test_run_refuses_an_output_that_another_curate_process_holds(tmp_path, capsys):
    import os

    from curation.cli import main
    from curation.io.lock import OutputLock

    out = tmp_path / "out"
    with OutputLock(out, command="curate refresh"):
        rc = main(["run", "pipelines/configs/web.yaml", "--runner", "local", "--output", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 75
    assert len(err) == 1
    assert err[0].startswith(f"curate: error: another curate process holds {out / '_lock'}: pid {os.getpid()} on ")
    assert err[0].endswith("(curate refresh)")
    assert not (out / "_ledger").exists()
